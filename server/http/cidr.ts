import { BlockList, isIP } from 'node:net';

/**
 * IP allow-lists of CIDR ranges, IPv4 and IPv6. node's BlockList does the
 * matching; it also matches an IPv4 range against the IPv4-mapped IPv6
 * form (`::ffff:192.0.2.1`) that a dual-stack socket reports.
 */

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses `192.0.2.0/24`, `2001:db8::/32`, or a bare address (a /32 or /128). Undefined when it is neither. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (!version || rest.length) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A set of CIDR ranges. An empty list allows every address (it means "no allow-list"). */
export class IpAllowList {
  readonly #list = new BlockList();
  readonly size: number;

  /** Throws TypeError on a range that parseCidr refuses (the configuration schema checks them first). */
  constructor(ranges: readonly string[]) {
    for (const range of ranges) {
      const cidr = parseCidr(range);
      if (!cidr) throw new TypeError(`not an IP address or CIDR range: "${range}"`);
      this.#list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    this.size = ranges.length;
  }

  /** Whether `address` (as a socket reports it) may pass; false for anything that is not an IP address. */
  allows(address: string): boolean {
    if (this.size === 0) return true;
    return this.contains(address);
  }

  /** Whether `address` is inside one of the ranges (false for an empty list). */
  contains(address: string): boolean {
    const version = isIP(address);
    if (!version) return false;
    return this.#list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Loopback addresses: 127.0.0.0/8, ::1, and their IPv4-mapped forms. */
const LOOPBACK = new IpAllowList(['127.0.0.0/8', '::1/128']);

/** Whether a listen host keeps fragcast reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || LOOPBACK.contains(host.replace(/^\[|\]$/g, ''));
}
