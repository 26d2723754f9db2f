/** Exact decimal money arithmetic on strings (scaled BigInt), so that no amount ever passes through a float. */

const scale = 4;
const factor = 10n ** BigInt(scale);
const decimalPattern = /^(-?)(\d+)(?:\.(\d{1,4}))?$/;

/** Parses a decimal string with up to four decimals; throws RangeError on anything else. */
export function parseDecimal(value: string): bigint {
  const match = decimalPattern.exec(value.trim());
  if (!match) throw new RangeError(`"${value}" is not a decimal amount`);
  const [, sign, whole = '0', fraction = ''] = match;
  const units = BigInt(whole) * factor + BigInt(fraction.padEnd(scale, '0'));
  return sign === '-' ? -units : units;
}

/** Formats scaled units with at least two decimals and no trailing zeros beyond them. */
export function formatDecimal(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / factor;
  let fraction = (abs % factor).toString().padStart(scale, '0');
  while (fraction.length > 2 && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** quantity × unit price − discount, exactly. */
export function lineTotal(quantity: number, unitPrice: string, discount: string): string {
  return formatDecimal(BigInt(quantity) * parseDecimal(unitPrice) - parseDecimal(discount));
}

/** Sum of decimal strings. */
export function sumDecimals(values: readonly string[]): string {
  return formatDecimal(values.reduce((total, value) => total + parseDecimal(value), 0n));
}

// ISO 4217 minor-unit exponents that differ from 2 (as payment platforms such as Stripe apply them).
const zeroDecimalCurrencies = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);
const threeDecimalCurrencies = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** Number of decimals in a currency's minor unit. */
export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase();
  if (zeroDecimalCurrencies.has(code)) return 0;
  if (threeDecimalCurrencies.has(code)) return 3;
  return 2;
}

/** Converts an integer amount in minor units (e.g. Stripe's 1999 USD) to a decimal string ("19.99"). */
export function fromMinorUnits(amount: number, currency: string): string {
  if (!Number.isSafeInteger(amount))
    throw new RangeError(`${amount} is not an integer amount in minor units`);
  const exponent = currencyExponent(currency);
  const negative = amount < 0;
  const digits = Math.abs(amount)
    .toString()
    .padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}
