import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { alarmFiringExitCode, type StatusReport } from '../../cli/commands/status';
import { concord } from './support/concord-cli';
import { startDeployedPlatform, synthesizeToTemp } from './support/deployed-platform';
import { eventually } from './support/eventually';

describe('concord status', () => {
  let assemblyDir: string;
  let local: Awaited<ReturnType<typeof startDeployedPlatform>>;
  let cloudwatch: CloudWatchClient;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    assemblyDir = synthesizeToTemp();
    local = await startDeployedPlatform(assemblyDir);
    env = { AWS_ENDPOINT_URL: local.platform.runtime.endpoint };
    cloudwatch = new CloudWatchClient({
      endpoint: local.platform.runtime.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }, 120_000);

  afterAll(async () => {
    cloudwatch.destroy();
    await local.stop();
    rmSync(assemblyDir, { recursive: true, force: true });
  });

  it('answers its sections as JSON and exits 0 on a quiet platform', async () => {
    // Act
    const result = await concord(['status', '--json'], env);
    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as StatusReport;
    expect(report.stage).toBe('local');
    expect(report.slos.orderAccepted).toMatchObject({
      target: 0.99,
      withinSec: 60,
      percentile: 'p99',
      samples: 0,
    });
    expect(report.slos.orderAccepted.alarms.map((alarm) => alarm.name).join()).toMatch(/OrderAcceptedSlo/);
    expect(report.slos.invoicePosted).toMatchObject({ withinSec: 90, samples: 0 });
    expect(report.slos.invoicePosted.alarms.map((alarm) => alarm.name).join()).toMatch(/InvoicePostedSlo/);
    expect(report.slos.paymentApplied).toMatchObject({ withinSec: 180, samples: 0 });
    expect(report.slos.paymentApplied.alarms.map((alarm) => alarm.name).join()).toMatch(/PaymentAppliedSlo/);
    expect(report.slos.reconciliationClean.met).toBe(true);
    expect(report.throughput.webhooksAccepted).toEqual({ total: 0, by: {} });
    expect(Object.keys(report.throughput).sort()).toEqual([
      'ordersBooked',
      'ordersCreditHeld',
      'ordersRefused',
      'unknownOutcomes',
      'webhooksAccepted',
      'webhooksRefused',
    ]);
    const queues = report.backlog.map((queue) => queue.name).join(' ');
    expect(queues).toMatch(/ExceptionsQueue/);
    expect(queues).toMatch(/WorkflowRedriveQueue/);
    expect(queues).toMatch(/Dlq/);
    expect(report.firing).toEqual([]);
  }, 30_000);

  it('exits non-zero naming the alarm while one is in ALARM, and its email lands in the mailbox', async () => {
    // Prepare
    const { MetricAlarms = [] } = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: 'Concord-local-' }),
    );
    const alarmName = MetricAlarms.find((alarm) => alarm.AlarmName?.includes('OrderAcceptedSloFast'))
      ?.AlarmName as string;
    expect(alarmName).toBeDefined();
    // Act
    await cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: alarmName,
        StateValue: 'ALARM',
        StateReason: 'forced by the test',
      }),
    );
    const json = await concord(['status', '--json'], env);
    const table = await concord(['status'], env);
    // Assess
    expect(json.code).toBe(alarmFiringExitCode);
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report.firing).toEqual([
      expect.objectContaining({ name: alarmName, reason: 'forced by the test' }),
    ]);
    expect(table.code).toBe(alarmFiringExitCode);
    expect(table.stdout).toContain('ALARM FIRING');
    expect(table.stdout).toContain(alarmName);
    const mailboxDir = path.join(local.dataDir, 'mailbox');
    const mail = await eventually(async () => {
      const file = existsSync(mailboxDir)
        ? readdirSync(mailboxDir).find((name) => name.startsWith('Concord-local-Stateful-AlarmTopic'))
        : undefined;
      return file ? readFileSync(path.join(mailboxDir, file), 'utf8') : undefined;
    }, 10_000);
    expect(mail).toContain(alarmName);
  }, 30_000);

  it('fails with one line and exit code 1 when the stage is unknown', async () => {
    // Act
    const result = await concord(['status', '--stage', 'qa'], env);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('Unknown stage "qa"');
  });
});
