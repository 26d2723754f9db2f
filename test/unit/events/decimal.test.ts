import {
  formatDecimal,
  fromMinorUnits,
  lineTotal,
  parseDecimal,
  sumDecimals,
} from '../../../functions/shared/decimal';

describe('decimal', () => {
  it('computes line totals exactly where floats would drift', () => {
    expect(lineTotal(3, '0.10', '0.00')).toBe('0.30');
    expect(lineTotal(2, '89.99', '10.00')).toBe('169.98');
  });

  it('sums and formats with at least two decimals', () => {
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.30');
    expect(formatDecimal(parseDecimal('-1.2345'))).toBe('-1.2345');
  });

  it('rejects a value that is not a decimal amount', () => {
    expect(() => parseDecimal('1e3')).toThrow(RangeError);
  });

  it.each([
    [1999, 'USD', '19.99'],
    [5, 'EUR', '0.05'],
    [150000, 'JPY', '150000'],
    [1234, 'KWD', '1.234'],
    [-250, 'usd', '-2.50'],
  ])('converts %i minor units of %s to %s', (amount, currency, expected) => {
    expect(fromMinorUnits(amount, currency)).toBe(expected);
  });
});
