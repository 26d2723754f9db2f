import {
  auditProblems,
  defaultChaosOptions,
  runOrderToCashChaos,
} from '../../scripts/chaos/order-to-cash-chaos';

// The full run (1,000 orders) is `npm run chaos`; here a smaller one keeps `npm test` within minutes on 2 cores.
describe('order-to-cash under chaos (duplicates, reordered amendments, ERP 5xx/429/timeouts)', () => {
  it('books every acknowledged order exactly once and accounts for every failure', async () => {
    // Act
    const report = await runOrderToCashChaos({
      ...defaultChaosOptions,
      orders: 80,
      settleTimeoutMs: 240_000,
    });
    // Assess
    expect(auditProblems(report)).toEqual([]);
    expect(report.acknowledged).toBe(80);
    expect(report.faultsFired).toBeGreaterThan(0);
    expect(report.deliveries.duplicates).toBeGreaterThan(0);
    const outcomes = Object.values(report.outcomes).reduce((sum, value) => sum + value, 0);
    expect(outcomes + report.deadLetters).toBeGreaterThanOrEqual(80);
  }, 400_000);
});
