/**
 * A fuzz campaign against the fMP4 reader (server/media): random and mutated
 * inputs seeded from real ffmpeg output, fed in random chunkings. The reader
 * must only ever fail through its error path (a MediaError), must stay usable
 * after reset(), must keep its buffered bytes bounded, and must finish each
 * input quickly. Anything else is a finding, saved for replay.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { MediaError } from '../../server/errors.ts';
import { MAX_BOX_SIZE } from '../../server/media/box.ts';
import { Fmp4Reader } from '../../server/media/fmp4-reader.ts';
import { fixture, ROOT, type FixtureName } from '../helpers/fixtures.ts';
import { seededRandom } from '../helpers/random.ts';

export interface FuzzOptions {
  readonly iterations: number;
  readonly seed: number;
  /** Where findings are written. Default .cache/fuzz/. */
  readonly findingsDir?: string;
  /** Called with each input before the reader sees it (e.g. to save it: a fatal V8 error cannot be caught). */
  readonly onInput?: (iteration: number, input: Buffer) => void;
}

export interface FuzzFinding {
  readonly kind: 'crash' | 'slow' | 'unbounded' | 'unusable-after-reset';
  readonly iteration: number;
  readonly mutation: string;
  readonly detail: string;
  readonly file: string;
}

export interface FuzzReport {
  readonly iterations: number;
  readonly seed: number;
  readonly seconds: number;
  readonly inputBytes: number;
  /** Inputs the reader rejected with a MediaError, by code. */
  readonly rejectedByCode: Record<string, number>;
  /** Inputs parsed to the end without an error (mutations that kept the stream valid). */
  readonly accepted: number;
  readonly slowestMs: number;
  readonly peakPendingBytes: number;
  readonly heapGrowthMB: number;
  readonly findings: FuzzFinding[];
}

interface Box {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'edts', 'dinf']);

/** Every box of a valid input, nested ones included, so mutations can aim at real headers and fields. */
function boxesOf(buf: Buffer, from = 0, to = buf.length, depth = 0, out: Box[] = []): Box[] {
  for (let at = from; at + 8 <= to; ) {
    const size = buf.readUInt32BE(at);
    if (size < 8 || at + size > to) break;
    const type = buf.toString('latin1', at + 4, at + 8);
    out.push({ type, start: at, end: at + size, depth });
    if (CONTAINERS.has(type)) boxesOf(buf, at + 8, at + size, depth + 1, out);
    at += size;
  }
  return out;
}

const INTERESTING_U32 = [0, 1, 7, 8, 9, 16, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, MAX_BOX_SIZE, MAX_BOX_SIZE + 1];

type Mutator = (input: Buffer, boxes: Box[], random: () => number) => Buffer;

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;

const MUTATORS: Record<string, Mutator> = {
  'flip bits': (input, _boxes, random) => {
    const out = Buffer.from(input);
    for (let i = 1 + Math.floor(random() * 16); i > 0; i--) out[Math.floor(random() * out.length)]! ^= 1 << Math.floor(random() * 8);
    return out;
  },
  'box size': (input, boxes, random) => {
    const out = Buffer.from(input);
    const box = pick(boxes, random);
    const size = random() < 0.5 ? pick(INTERESTING_U32, random) : Math.max(0, box.end - box.start + Math.floor(random() * 64) - 32);
    out.writeUInt32BE(size >>> 0, box.start);
    return out;
  },
  'largesize': (input, boxes, random) => {
    const box = pick(boxes, random);
    const header = Buffer.alloc(16);
    header.writeUInt32BE(1);
    header.write(input.toString('latin1', box.start + 4, box.start + 8), 4, 'latin1');
    header.writeUInt32BE(Math.floor(random() * 0x200000), 8);
    header.writeUInt32BE(Math.floor(random() * 0x100000000), 12);
    return Buffer.concat([input.subarray(0, box.start), header, input.subarray(box.start + 8)]);
  },
  'box type': (input, boxes, random) => {
    const out = Buffer.from(input);
    const box = pick(boxes, random);
    const types = ['moof', 'mdat', 'moov', 'ftyp', 'trun', 'traf', 'tfhd', 'tfdt', 'prft', 'styp', 'free', '\0\0\0\0', 'zzzz'];
    out.write(pick(types, random), box.start + 4, 'latin1');
    return out;
  },
  'huge trun count': (input, boxes, random) => {
    const out = Buffer.from(input);
    const truns = boxes.filter((b) => b.type === 'trun');
    if (!truns.length) return out;
    const trun = pick(truns, random);
    out.writeUInt32BE(pick(INTERESTING_U32, random) >>> 0, trun.start + 12);
    if (random() < 0.5) out.writeUInt32BE((Math.floor(random() * 0x1000) | 0x000f00) >>> 0, trun.start + 8);
    return out;
  },
  'field values': (input, boxes, random) => {
    const out = Buffer.from(input);
    const fielded = boxes.filter((b) => b.end - b.start > 12);
    if (!fielded.length) return out;
    const box = pick(fielded, random);
    for (let i = 1 + Math.floor(random() * 4); i > 0; i--) {
      const at = box.start + 8 + 4 * Math.floor((random() * (box.end - box.start - 12)) / 4);
      out.writeUInt32BE(pick(INTERESTING_U32, random) >>> 0, at);
    }
    return out;
  },
  truncate: (input, _boxes, random) => input.subarray(0, Math.floor(random() * input.length)),
  'drop box': (input, boxes, random) => {
    const top = boxes.filter((b) => b.depth === 0);
    if (!top.length) return input;
    const box = pick(top, random);
    return Buffer.concat([input.subarray(0, box.start), input.subarray(box.end)]);
  },
  'repeat box': (input, boxes, random) => {
    const top = boxes.filter((b) => b.depth === 0);
    if (!top.length) return input;
    const box = pick(top, random);
    return Buffer.concat([input.subarray(0, box.end), input.subarray(box.start, box.end), input.subarray(box.end)]);
  },
  'swap boxes': (input, boxes, random) => {
    const top = boxes.filter((b) => b.depth === 0);
    if (top.length < 2) return input;
    const i = Math.floor(random() * (top.length - 1));
    const [a, b] = [top[i]!, top[i + 1]!];
    return Buffer.concat([input.subarray(0, a.start), input.subarray(b.start, b.end), input.subarray(a.start, a.end), input.subarray(b.end)]);
  },
  'splice garbage': (input, _boxes, random) => {
    const at = Math.floor(random() * input.length);
    const garbage = Buffer.alloc(1 + Math.floor(random() * 256));
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
    return Buffer.concat([input.subarray(0, at), garbage, input.subarray(at)]);
  },
  'pure garbage': (_input, _boxes, random) => {
    const out = Buffer.alloc(Math.floor(random() * 4096));
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
    return out;
  },
};

const SEEDS: FixtureName[] = ['av.mp4', 'video-only.mp4', 'audio-only.mp4'];
/** The first second or so of each fixture: enough boxes of every kind, small enough for thousands of runs. */
const SEED_BYTES = 160_000;
const SLOW_MS = 1000;

export function runFuzz(options: FuzzOptions): FuzzReport {
  const random = seededRandom(options.seed);
  const dir = options.findingsDir ?? `${ROOT}.cache/fuzz`;
  const seeds = SEEDS.map((name) => {
    const whole = fixture(name);
    const boxes = boxesOf(whole);
    const cut = boxes.filter((b) => b.depth === 0 && b.end <= SEED_BYTES).at(-1)?.end ?? whole.length;
    const input = whole.subarray(0, cut);
    return { input, boxes: boxesOf(input) };
  });
  const valid = seeds[0]!.input;
  const names = Object.keys(MUTATORS);
  const rejectedByCode: Record<string, number> = {};
  const findings: FuzzFinding[] = [];
  let accepted = 0;
  let slowestMs = 0;
  let peakPendingBytes = 0;
  let inputBytes = 0;
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const reader = new Fmp4Reader();

  const record = (kind: FuzzFinding['kind'], iteration: number, mutation: string, detail: string, input: Buffer): void => {
    mkdirSync(dir, { recursive: true });
    const file = `${dir}/${kind}-seed${options.seed}-${iteration}.mp4`;
    writeFileSync(file, input);
    findings.push({ kind, iteration, mutation, detail, file });
  };

  for (let iteration = 0; iteration < options.iterations; iteration++) {
    const seed = pick(seeds, random);
    // One to three stacked mutations.
    let input = seed.input;
    const applied: string[] = [];
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
      const name = pick(names, random);
      applied.push(name);
      const boxes = input === seed.input ? seed.boxes : boxesOf(input);
      if (!boxes.length && name !== 'pure garbage' && name !== 'flip bits' && name !== 'truncate') continue;
      if (!input.length && name !== 'pure garbage') continue;
      input = MUTATORS[name]!(input, boxes, random);
    }
    const mutation = applied.join(' + ');
    inputBytes += input.length;
    options.onInput?.(iteration, input);
    reader.reset();
    const t0 = performance.now();
    try {
      // Random chunking: the splitter must not care where chunks end.
      for (let at = 0; at < input.length; ) {
        const size = random() < 0.2 ? 1 + Math.floor(random() * 16) : 1 + Math.floor(random() * 65536);
        reader.push(input.subarray(at, at + size), () => {});
        peakPendingBytes = Math.max(peakPendingBytes, reader.pendingBytes);
        if (reader.pendingBytes > MAX_BOX_SIZE + 65536) {
          record('unbounded', iteration, mutation, `${reader.pendingBytes} bytes pending`, input);
          break;
        }
        at += size;
      }
      reader.end();
      accepted++;
    } catch (error) {
      if (error instanceof MediaError) {
        rejectedByCode[error.code] = (rejectedByCode[error.code] ?? 0) + 1;
      } else {
        record('crash', iteration, mutation, String((error as Error)?.stack ?? error), input);
      }
    }
    const elapsed = performance.now() - t0;
    slowestMs = Math.max(slowestMs, elapsed);
    if (elapsed > SLOW_MS) record('slow', iteration, mutation, `${elapsed.toFixed(0)} ms`, input);
    // Every so often: after a failure, reset() must give back a reader that parses a valid stream.
    if (iteration % 50 === 0) {
      reader.reset();
      let fragments = 0;
      try {
        reader.push(valid, (o) => void (o.kind === 'fragment' && fragments++));
      } catch (error) {
        record('unusable-after-reset', iteration, mutation, String(error), input);
      }
      if (fragments === 0) record('unusable-after-reset', iteration, mutation, 'no fragments from a valid stream', input);
    }
  }
  return {
    iterations: options.iterations,
    seed: options.seed,
    seconds: (performance.now() - started) / 1000,
    inputBytes,
    rejectedByCode,
    accepted,
    slowestMs,
    peakPendingBytes,
    heapGrowthMB: (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20,
    findings,
  };
}
