import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaError } from '../errors.ts';
import { BoxSplitter, type SplitBox } from '../media/box-splitter.ts';
import { fixture } from '../../test/helpers/fixtures.ts';
import { seededRandom as random } from '../../test/helpers/random.ts';

function split(input: Buffer, chunkSizes: () => number): { type: string; offset: number; hex: string }[] {
  const splitter = new BoxSplitter();
  const boxes: { type: string; offset: number; hex: string }[] = [];
  const onBox = (box: SplitBox): void => void boxes.push({ type: box.type, offset: box.offset, hex: box.bytes.toString('hex') });
  for (let at = 0; at < input.length; ) {
    const size = Math.max(1, chunkSizes());
    // Copy each chunk so no box can alias the original input by accident.
    splitter.push(Buffer.from(input.subarray(at, at + size)), onBox);
    at += size;
  }
  splitter.end();
  return boxes;
}

test('splits real ffmpeg output into the same boxes for any chunking', () => {
  const input = fixture('av.mp4');
  const whole = split(input, () => input.length);
  assert.ok(whole.length > 100, `expected many boxes, got ${whole.length}`);
  assert.deepEqual(whole.slice(0, 2).map((b) => b.type), ['ftyp', 'moov']);
  assert.equal(Buffer.concat(whole.map((b) => Buffer.from(b.hex, 'hex'))).length, input.length);
  for (const seed of [1, 2, 3, 4, 5]) {
    const rand = random(seed);
    // Mix of tiny (header-splitting) and large chunks.
    const chunked = split(input, () => (rand() < 0.3 ? 1 + Math.floor(rand() * 12) : Math.floor(rand() * 70_000)));
    assert.deepEqual(chunked, whole, `seed ${seed}`);
  }
  assert.deepEqual(split(input, () => 1), whole, 'one byte at a time');
});

test('yields a box that arrives whole in one chunk as a view, without copying', () => {
  const input = fixture('av.mp4');
  const splitter = new BoxSplitter();
  const boxes: SplitBox[] = [];
  splitter.push(input, (box) => boxes.push(box));
  assert.equal(boxes[0]!.bytes.buffer, input.buffer);
});

function box(type: string, size: number, body = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(size);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

function pushExpectingError(input: Buffer, code: string, pattern: RegExp): void {
  const splitter = new BoxSplitter();
  assert.throws(
    () => {
      splitter.push(input, () => {});
      splitter.end();
    },
    (error: unknown) => {
      assert.ok(error instanceof MediaError);
      assert.equal(error.code, code);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

test('rejects a box size below the header, naming type, offset and size', () => {
  pushExpectingError(Buffer.concat([box('free', 8), box('moof', 4)]), 'MEDIA_BOX_TOO_SMALL', /"moof" at byte 8 declares size 4/);
});

test('rejects a box over the 64 MiB limit before buffering it', () => {
  pushExpectingError(box('mdat', 64 * 1024 * 1024 + 1), 'MEDIA_BOX_TOO_LARGE', /size 67108865, over the 67108864-byte limit/);
  // 64-bit largesize too.
  const large = Buffer.alloc(16);
  large.writeUInt32BE(1);
  large.write('mdat', 4, 'latin1');
  large.writeUInt32BE(1, 8);
  pushExpectingError(large, 'MEDIA_BOX_TOO_LARGE', /over the/);
});

test('rejects garbage that is not a box', () => {
  pushExpectingError(Buffer.from('\x00\x00\x00\x10\x01\x02\x03\x04garbage!'), 'MEDIA_BOX_TYPE_INVALID', /offset 0 .*0x01020304/);
  pushExpectingError(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'MEDIA_BOX_TOO_LARGE', /"\/ HT"/);
});

test('reports input that ends inside a box', () => {
  const input = fixture('av.mp4');
  const boxes = split(input, () => input.length);
  const mdat = boxes.find((b) => b.type === 'mdat' && b.hex.length > 2000)!;
  const size = mdat.hex.length / 2;
  const cut = mdat.offset + 1000;
  pushExpectingError(input.subarray(0, cut), 'MEDIA_TRUNCATED', new RegExp(`Input ended inside box "mdat" \\(1000 of ${size} bytes\\)`));
});

test('stays failed after an error until reset', () => {
  const splitter = new BoxSplitter();
  assert.throws(() => splitter.push(box('moof', 3), () => {}));
  assert.throws(() => splitter.push(box('free', 8), () => {}), MediaError);
  splitter.reset();
  const types: string[] = [];
  splitter.push(box('free', 8), (b) => types.push(b.type));
  assert.deepEqual(types, ['free']);
});
