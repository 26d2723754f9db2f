/** IPv4 and IPv6 addresses and CIDR blocks as ranges of bigints, for the `cidr` pattern operator. */

/** An inclusive address range in one family. */
export interface IpRange {
  v6: boolean;
  low: bigint;
  high: bigint;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  let headGroups = groups(head);
  let tailGroups = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const last = (tail === undefined ? headGroups : tailGroups).at(-1);
  if (last?.includes('.')) {
    const v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    const replacement = [(v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
    if (tail === undefined) headGroups = [...headGroups.slice(0, -1), ...replacement];
    else tailGroups = [...tailGroups.slice(0, -1), ...replacement];
  }
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

/** The address as a one-address range, or undefined when the text is not an IP address. */
export function parseIp(text: string): IpRange | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { v6: false, low: v4, high: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { v6: true, low: v6, high: v6 };
}

/** The range of a CIDR block ("10.0.0.0/24", "2001:db8::/32"); undefined when it is not one. */
export function parseCidr(text: string): IpRange | undefined {
  const [address = '', bitsText, extra] = text.split('/');
  if (extra !== undefined || bitsText === undefined || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const width = ip.v6 ? 128n : 32n;
  const bits = BigInt(Number(bitsText));
  if (bits > width) return undefined;
  const hostMask = (1n << (width - bits)) - 1n;
  return { v6: ip.v6, low: ip.low & ~hostMask, high: ip.low | hostMask };
}

/** Whether an address lies in a range of the same family. */
export function ipInRange(ip: IpRange, range: IpRange): boolean {
  return ip.v6 === range.v6 && ip.low >= range.low && ip.high <= range.high;
}
