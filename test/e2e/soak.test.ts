import { defaultSoakOptions, runOrderToCashSoak } from '../../scripts/soak/order-to-cash-soak';

// The full run is `npm run soak`, its figures in docs/reliability.md; here a short one keeps `npm test` within a few
// minutes on 2 cores: a few dozen orders, a 20 s outage, a 20 s Retry-After and one kill -9 of the runtime.
describe('order-to-cash soak (ERP faults before and after the commit, outage, 429s, duplicates, kill -9)', () => {
  it('loses nothing acknowledged, books once, contradicts nothing and reconciles clean', async () => {
    // Act
    const report = await runOrderToCashSoak({
      ...defaultSoakOptions,
      orders: 30,
      outageSec: 20,
      retryAfterSec: 20,
      killAt: 0.5,
      settleTimeoutMs: 150_000,
      warehouseTimeoutMs: 150_000,
      log: () => undefined,
    });
    // Assess
    expect(report.problems).toEqual([]);
    expect(report.acknowledged).toBe(30);
    expect(report.faultsFired.outage ?? 0).toBeGreaterThan(0);
    expect(report.deliveries.duplicates).toBeGreaterThan(0);
    expect(report.kill.restartSec).toBeGreaterThan(0);
  }, 420_000);
});
