import { SchemaViolationError } from '../../../functions/shared/errors';
import {
  entityVersion,
  idTieBreak,
  lagTieBreak,
  millisecondsTieBreakRoom,
  runningTotalTieBreak,
  secondsTieBreakRoom,
} from '../../../functions/shared/sources/mappers/entity-version';

describe('entityVersion', () => {
  it('puts the platform time in version ticks and the tie-break below its precision', () => {
    // Act
    const fromSeconds = entityVersion(1795276800_999, 1000, 42, '/created');
    const fromMs = entityVersion(1795188000456, 1, 7, '/occurredAt');
    // Assess: a seconds platform's time is truncated to its second, whatever digits follow.
    expect([fromSeconds, fromMs]).toEqual([1795276800_000_042, 1795188000456_007]);
  });

  it('rejects a tie-break outside its room and a time whose version is not a safe integer', () => {
    expect(() => entityVersion(1795188000456, 1, millisecondsTieBreakRoom, '/x')).toThrow(
      SchemaViolationError,
    );
    expect(() => entityVersion(1795188000456, 1, -1, '/x')).toThrow(SchemaViolationError);
    expect(() => entityVersion(Number.MAX_SAFE_INTEGER, 1, 0, '/x')).toThrow(SchemaViolationError);
  });
});

describe('tie-breaks', () => {
  it('reads a trigger delay in ms, 0 when absent or earlier, capped below the room', () => {
    expect(lagTieBreak(1000, 1250, secondsTieBreakRoom)).toBe(250);
    expect(lagTieBreak(1000, undefined, secondsTieBreakRoom)).toBe(0);
    expect(lagTieBreak(1000, Number.NaN, secondsTieBreakRoom)).toBe(0);
    expect(lagTieBreak(1000, 500, secondsTieBreakRoom)).toBe(0);
    expect(lagTieBreak(0, 10_000_000, secondsTieBreakRoom)).toBe(999_999);
  });

  it('keeps a running total exact under the room and rounds any share above it up from 0', () => {
    expect(runningTotalTieBreak(8999, 23215, secondsTieBreakRoom)).toBe(8999);
    expect(runningTotalTieBreak(1, 9_000_000_000_000, secondsTieBreakRoom)).toBe(1);
    expect(runningTotalTieBreak(9_000_000_000_000, 9_000_000_000_000, secondsTieBreakRoom)).toBe(999_999);
    expect(runningTotalTieBreak(0, 9_000_000_000_000, secondsTieBreakRoom)).toBe(0);
  });

  it('takes a numeric id modulo the room and hashes any other id the same way every time', () => {
    expect(idTieBreak('1948271031', millisecondsTieBreakRoom)).toBe(31);
    expect(idTieBreak('123456789012345678901234567890', millisecondsTieBreakRoom)).toBe(890);
    const hashed = idTieBreak('msg_2pQ8sXk4bN7vL1mR3tY6wZ9c', millisecondsTieBreakRoom);
    expect(hashed).toBe(idTieBreak('msg_2pQ8sXk4bN7vL1mR3tY6wZ9c', millisecondsTieBreakRoom));
    expect(hashed).toBeGreaterThanOrEqual(0);
    expect(hashed).toBeLessThan(millisecondsTieBreakRoom);
  });
});
