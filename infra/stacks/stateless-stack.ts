/** The stateless stack: functions, the HTTP API and routes, everything that can be replaced at will. */
import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, AlarmBase, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type IEventBus, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { erpBusSource, governanceBusSource, ingestBusSource } from '../../functions/shared/events/envelope';
import { allowedWarehouseLagMs, platformSettings, type StageConfig } from '../config/stage-config';
import { concordFlows, concordMetric, reconciliationMismatches } from '../constructs/concord-metrics';
import { alarmOnFailures } from '../constructs/failure-alarms';
import { FirehoseTargetWithDeadLetters } from '../constructs/firehose-rule-target';
import { OperationsDashboard } from '../constructs/operations-dashboard';
import { ServiceFunction } from '../constructs/service-function';
import { alarmOnLatencySlo, latencySlos } from '../constructs/slo-alarms';
import { TraceSampling } from '../constructs/trace-sampling';
import { Workflow } from '../constructs/workflow';
import type { StatefulResources } from './stateful-stack';

/**
 * How long EventBridge keeps trying a rule target before the event goes to the target's dead-letter queue: the most
 * it allows, 185 attempts over 24 hours (RetryPolicy MaximumRetryAttempts 0–185, MaximumEventAgeInSeconds up to
 * 86,400; docs/reference/aws-facts.md). A target down for hours (an ERP window, a Firehose or Step Functions
 * incident) catches up on its own; only what a whole day could not deliver waits for governed replay.
 */
const busTargetRetries = { retryAttempts: 185, maxEventAge: Duration.hours(24) } as const;

/** Props of the stateless stack: the stage config and the stateful resources it binds to. */
export interface StatelessStackProps extends StackProps {
  /** What the stage decides: sizes, timeouts, retention, SLOs, platform endpoints. */
  readonly config: StageConfig;
  /** The stateful stack's resources the functions, workflows and rules bind to. */
  readonly stateful: StatefulResources;
}

/** What sets one bus-started business workflow apart (see `StatelessStack.businessWorkflow`). */
interface BusinessWorkflowProps {
  /** Its ASL under statemachines/. */
  readonly definitionFile: string;
  /** `${<key>}` → a function the workflow invokes. */
  readonly functions: Record<string, IFunction>;
  /** What starts it, as its rule describes it. */
  readonly description: string;
  /**
   * The bus sources whose events start it.
   * @default - the ingest edge only (`ingestBusSource`)
   */
  readonly sources?: readonly string[];
  /** The detail types that start it. */
  readonly detailTypes: readonly string[];
}

/**
 * A rule on the bus (or a schedule) and the queue its target's failures end in: what governed replay reads, and how
 * it finds the one target to send a dead letter back to.
 */
interface DeadLetteredRule {
  readonly rule: Rule;
  readonly deadLetters: Queue;
}

/** A business workflow and the rule that starts it (`StatelessStack.businessWorkflow`). */
interface BusWorkflow extends DeadLetteredRule {
  readonly workflow: Workflow;
}

/** A function a rule or a schedule invokes (asynchronously: its failures end in the rule's dead-letter queue too). */
interface RuleTargetFunction extends DeadLetteredRule {
  readonly target: ServiceFunction;
}

/** What governed replay may touch (`StatelessStack.governedReplay`): nothing outside these. */
interface GovernedReplayProps {
  /** Every dead-letter queue of this stack, in creation order; replay reads, deletes and re-publishes from them. */
  readonly deadLetterQueues: readonly Queue[];
  /** The rules whose targets replay reads, to send a dead letter back to the one target that failed it. */
  readonly rules: readonly Rule[];
  /** The workflows replay may start again. */
  readonly workflows: readonly Workflow[];
  /** The functions rules and destinations invoke, which replay may invoke again. */
  readonly targetFunctions: readonly ServiceFunction[];
}

/** The ingest edge of one stage. */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly ingest: ServiceFunction;
  readonly orderToCash: Workflow;
  readonly paymentApplication: Workflow;
  readonly customerSync: Workflow;
  /** Procurement platform suppliers onto the ERP vendor master (docs/suppliers.md). */
  readonly supplierSync: Workflow;
  /** Procurement platform purchase orders booked and released in the ERP (docs/purchase-orders.md). */
  readonly procureToPay: Workflow;
  /** HRIS employee hires, changes and terminations onto the ERP's employee register (employee-sync.asl.json). */
  readonly employeeSync: Workflow;
  readonly writeBack: ServiceFunction;
  /** ERP stock levels and prices, coalesced per key and written to Shopify (docs/item-sync.md). */
  readonly itemWriteBack: ServiceFunction;
  readonly orderValidation: Workflow;
  readonly orderValidationApi: ServiceFunction;
  readonly replay: ServiceFunction;
  /** The scheduled three-way reconciliation. */
  readonly reconcile: ServiceFunction;
  /** Concord-<stage>: alarms, orders, the SLO, failures waiting. */
  readonly dashboard: OperationsDashboard;
  /** The stage's config, which every business workflow's logging follows. */
  private readonly config: StageConfig;
  /** The stateful resources: the bus that starts the business workflows and the queues they send to. */
  private readonly stateful: StatefulResources;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    this.config = config;
    this.stateful = stateful;

    this.ingest = new ServiceFunction(this, 'IngestWebhook', {
      functionDir: 'ingest-webhook',
      stage: config.stage,
      memorySizeMiB: config.ingest.memorySizeMiB,
      timeoutSec: config.ingest.timeoutSec,
      logRetention: config.logRetention,
      environment: {
        MAX_BODY_BYTES: String(config.ingest.maxBodyBytes),
        IN_PROGRESS_SEC: String(config.ingest.inProgressSec),
        ACCEPT_UNBOUND_SENDER_SECRETS: String(config.ingest.acceptUnboundSenderSecrets),
        PROBLEM_TYPE_BASE_URI: config.problemTypeBaseUri,
      },
    });
    this.ingest.bindEventBus('EVENT_BUS_NAME', stateful.bus);
    this.ingest.bindTableItems('DEDUPE_TABLE_NAME', stateful.dedupeTable);
    this.ingest.bindBucketWriter('ARCHIVE_BUCKET_NAME', stateful.rawArchiveWriter);
    this.ingest.bindDeliveryStream('ARCHIVE_STREAM_NAME', stateful.rawArchiveStream);
    this.ingest.bindBucketWriter('QUARANTINE_BUCKET_NAME', stateful.quarantineWriter);
    this.ingest.bindSecrets('WEBHOOK_SECRET_IDS', stateful.webhookSecrets);

    // Where the ERP is, for the two functions that talk to it.
    const erpEnvironment = {
      ERP_BASE_URL: config.erp.baseUrl,
      ERP_TIMEOUT_MS: String(config.erp.timeoutMs),
      ERP_SOURCE_URI: config.erp.sourceUri,
    };
    const erpAdapter = new ServiceFunction(this, 'ErpAdapter', {
      functionDir: 'erp-adapter',
      stage: config.stage,
      memorySizeMiB: 256,
      timeoutSec: 30,
      logRetention: config.logRetention,
      environment: erpEnvironment,
      // The bound on traffic to the ERP: a workflow step beyond it is throttled by Lambda and retried.
      reservedConcurrency: config.erp.maxConcurrentCalls,
      // Its typed errors (ErpThrottledError, ErpUnavailableError, ErpOutcomeUnknownError) are how a step asks the
      // workflow to retry: a burst during an ERP incident needs nobody. The workflows' failed executions, the
      // exceptions queue and the unknown-outcome metric alarm on what the retries could not finish.
      alarmOnErrors: false,
    });
    erpAdapter.bindSecret('ERP_CREDENTIALS_SECRET_ID', stateful.erpCredentials);
    erpAdapter.bindEventBus('EVENT_BUS_NAME', stateful.bus);
    erpAdapter.bindTableItems('IDEMPOTENCY_TABLE_NAME', stateful.idempotencyTable);
    const versionGate = new ServiceFunction(this, 'VersionGate', {
      functionDir: 'version-gate',
      stage: config.stage,
      memorySizeMiB: 128,
      timeoutSec: 10,
      logRetention: config.logRetention,
    });
    versionGate.bindTableItems('VERSION_TABLE_NAME', stateful.versionTable);

    const outboxRelay = new ServiceFunction(this, 'ErpOutboxRelay', {
      functionDir: 'erp-outbox-relay',
      stage: config.stage,
      memorySizeMiB: 128,
      // A run reads until it has caught up (a 5,000-line goods receipt is ten outbox pages) and stops 8 s before
      // this; well inside the one-minute schedule, so runs do not overlap.
      timeoutSec: 50,
      logRetention: config.logRetention,
      environment: erpEnvironment,
    });
    outboxRelay.bindSecret('ERP_CREDENTIALS_SECRET_ID', stateful.erpCredentials);
    outboxRelay.bindEventBus('EVENT_BUS_NAME', stateful.bus);
    outboxRelay.bindTableItems('VERSION_TABLE_NAME', stateful.versionTable);
    // Entries that make no valid event wait here (with the cursor past them) instead of stalling the ones behind.
    const outboxEntriesDlq = this.deadLetterQueue(
      'ErpOutboxEntriesDlq',
      'the outbox relay (ERP outbox entries that make no valid event)',
    );
    outboxRelay.bindQueue('OUTBOX_DEAD_LETTER_QUEUE_URL', outboxEntriesDlq);
    const outboxRelayDlq = this.deadLetterQueue('ErpOutboxRelayDlq', 'the outbox relay schedule');
    const outboxRelaySchedule = new Rule(this, 'ErpOutboxRelaySchedule', {
      description: 'Relays the ERP outbox (credit-hold releases, …) onto the bus',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        new LambdaFunction(outboxRelay.function, {
          deadLetterQueue: outboxRelayDlq,
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    // The schedule invokes asynchronously: a run that fails after Lambda's retries is recorded in the same queue.
    outboxRelay.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(outboxRelayDlq),
    });

    const orderToCash = this.businessWorkflow('OrderToCash', {
      definitionFile: 'order-to-cash.asl.json',
      functions: { ErpAdapterFunctionArn: erpAdapter.function, VersionGateFunctionArn: versionGate.function },
      description:
        'Orders placed, amended and cancelled on a commerce platform, and credit holds released in the ERP',
      sources: [ingestBusSource, erpBusSource],
      detailTypes: [
        'commerce.order.placed.v1',
        'commerce.order.amended.v1',
        'commerce.order.cancelled.v1',
        'erp.order.credit-released.v1',
      ],
    });
    const paymentApplication = this.businessWorkflow('PaymentApplication', {
      definitionFile: 'payment-application.asl.json',
      functions: { ErpAdapterFunctionArn: erpAdapter.function },
      description: 'Payments captured and refunded on a billing platform',
      detailTypes: ['billing.payment.succeeded.v1', 'billing.payment.refunded.v1'],
    });
    const customerSync = this.businessWorkflow('CustomerSync', {
      definitionFile: 'customer-sync.asl.json',
      functions: { ErpAdapterFunctionArn: erpAdapter.function, VersionGateFunctionArn: versionGate.function },
      description: 'Customer changes made in the CRM',
      detailTypes: ['crm.customer.upserted.v1'],
    });
    const supplierSync = this.businessWorkflow('SupplierSync', {
      definitionFile: 'supplier-sync.asl.json',
      functions: { ErpAdapterFunctionArn: erpAdapter.function, VersionGateFunctionArn: versionGate.function },
      description: 'Suppliers created and changed at the procurement platform',
      detailTypes: ['procurement.supplier.created.v1', 'procurement.supplier.changed.v1'],
    });
    const procureToPay = this.businessWorkflow('ProcureToPay', {
      definitionFile: 'procure-to-pay.asl.json',
      functions: { ErpAdapterFunctionArn: erpAdapter.function, VersionGateFunctionArn: versionGate.function },
      description: 'Purchase orders approved at the procurement platform',
      detailTypes: ['procurement.purchase-order.created.v1'],
    });

    const employeeSync = this.employeeSyncWorkflow(config, stateful, erpAdapter, versionGate);
    this.orderToCash = orderToCash.workflow;
    this.paymentApplication = paymentApplication.workflow;
    this.customerSync = customerSync.workflow;
    this.supplierSync = supplierSync.workflow;
    this.procureToPay = procureToPay.workflow;
    this.employeeSync = employeeSync.workflow;
    // In creation order, as governed replay lists their rules and queues.
    const busWorkflows = [
      orderToCash,
      paymentApplication,
      customerSync,
      supplierSync,
      procureToPay,
      employeeSync,
    ];

    const redrive = new ServiceFunction(this, 'WorkflowRedrive', {
      functionDir: 'workflow-redrive',
      stage: config.stage,
      memorySizeMiB: 128,
      timeoutSec: 30,
      logRetention: config.logRetention,
    });
    redrive.bindStateMachines(
      'STATE_MACHINE_ARNS',
      [
        this.orderToCash,
        this.paymentApplication,
        this.customerSync,
        this.employeeSync,
        this.supplierSync,
        this.procureToPay,
      ].map((workflow) => workflow.stateMachine),
    );
    redrive.function.addEventSource(
      new SqsEventSource(stateful.redriveQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );

    const writeBack = this.writeBackToPlatforms(config, stateful.bus);
    const itemWriteBack = this.itemWriteBackToShopify(config, stateful);
    const purchaseOrderWriteBack = this.purchaseOrderWriteBack(config, stateful);
    this.writeBack = writeBack.target;
    this.itemWriteBack = itemWriteBack.target;

    // Synchronous: the API runs it with StartSyncExecution and answers with its output.
    this.orderValidation = new Workflow(this, 'OrderValidation', {
      definitionFile: 'order-validation.asl.json',
      logRetention: config.logRetention,
      includeExecutionData: config.workflowLogs.includeExecutionData,
      functions: { ErpAdapterFunctionArn: erpAdapter.function },
      queues: {},
    });
    this.orderValidationApi = new ServiceFunction(this, 'OrderValidationApi', {
      functionDir: 'order-validation-api',
      stage: config.stage,
      memorySizeMiB: 256,
      timeoutSec: 15,
      logRetention: config.logRetention,
      environment: {
        VALIDATION_BUDGET_MS: String(config.orderValidation.budgetMs),
        SFN_DISABLE_HOST_PREFIX: String(!config.orderValidation.sfnSyncHost),
        PROBLEM_TYPE_BASE_URI: config.problemTypeBaseUri,
      },
    });
    this.orderValidationApi.bindStateMachine(
      'VALIDATION_STATE_MACHINE_ARN',
      this.orderValidation.stateMachine,
      {
        synchronous: true,
      },
    );

    // Every canonical and ERP event, as the warehouse loads it: the CloudEvent itself, one JSON line per event.
    const warehouseDlq = this.deadLetterQueue('WarehouseDlq', 'the warehouse rule target');
    const warehouseRule = new Rule(this, 'WarehouseRule', {
      eventBus: stateful.bus,
      description:
        'Canonical, ERP and governance events into the warehouse bucket, partitioned by type and date',
      eventPattern: { source: [ingestBusSource, erpBusSource, governanceBusSource] },
      targets: [
        new FirehoseTargetWithDeadLetters(stateful.warehouseStream, {
          message: RuleTargetInput.fromEventPath('$.detail'),
          deadLetterQueue: warehouseDlq,
          ...busTargetRetries,
        }),
      ],
    });

    const reconcile = this.scheduledReconciliation(config, stateful, erpEnvironment);
    this.reconcile = reconcile.target;

    // Every rule of the stack with its dead-letter queue, in creation order; the outbox relay's entries queue has no
    // rule (the relay itself sends to it).
    const deadLetteredRules: DeadLetteredRule[] = [
      { rule: outboxRelaySchedule, deadLetters: outboxRelayDlq },
      ...busWorkflows,
      writeBack,
      itemWriteBack,
      purchaseOrderWriteBack,
      { rule: warehouseRule, deadLetters: warehouseDlq },
      reconcile,
    ];
    const deadLetterQueues = [outboxEntriesDlq, ...deadLetteredRules.map(({ deadLetters }) => deadLetters)];
    this.replay = this.governedReplay(config, stateful, {
      deadLetterQueues,
      rules: deadLetteredRules.map(({ rule }) => rule),
      workflows: [
        this.orderToCash,
        this.paymentApplication,
        this.customerSync,
        this.employeeSync,
        this.supplierSync,
        this.procureToPay,
      ],
      targetFunctions: [outboxRelay, this.writeBack, purchaseOrderWriteBack.target, this.reconcile],
    });

    this.api = new HttpApi(this, 'HttpApi', {
      description: `Concord ${config.stage} webhooks and APIs`,
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: config.logRetention });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit: config.ingest.rateLimitPerSec, burstLimit: config.ingest.burstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    this.api.addRoutes({
      path: '/webhooks/{source}',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.ingest.function),
    });
    // Called by a storefront or checkout backend with AWS credentials (SigV4), not by browsers.
    this.api.addRoutes({
      path: '/orders/validate',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('OrderValidationIntegration', this.orderValidationApi.function),
      authorizer: new HttpIamAuthorizer(),
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Webhook senders cannot use AWS auth; every request is authenticated by its HMAC signature in the ingest function',
    });

    // Which transactions X-Ray records: on AWS the only record of an Express workflow's path (docs/observability.md#tracing).
    new TraceSampling(this, 'TraceSampling', {
      stage: config.stage,
      sampling: config.tracing.sampling,
      workflows: {
        'order-to-cash': this.orderToCash.stateMachine,
        payments: this.paymentApplication.stateMachine,
        customers: this.customerSync.stateMachine,
        employees: this.employeeSync.stateMachine,
        suppliers: this.supplierSync.stateMachine,
        'procure-to-pay': this.procureToPay.stateMachine,
        validation: this.orderValidation.stateMachine,
      },
    });
    this.businessAlarms(config);
    // Last: the alarm grid shows every alarm of both stacks created before it.
    this.dashboard = new OperationsDashboard(this, 'Dashboard', {
      stage: config.stage,
      slos: config.slos,
      exceptionsQueue: stateful.exceptionsQueue,
      deadLetterQueues: {
        ...Object.fromEntries(deadLetterQueues.map((queue) => [queue.node.id, queue])),
        WorkflowRedriveDlq: stateful.redriveDeadLetterQueue,
      },
      warehouseStream: stateful.warehouseStream,
      erpAdapter: erpAdapter.function,
      workflows: {
        [concordFlows.supplierSync]: this.supplierSync.stateMachine,
        [concordFlows.employeeSync]: this.employeeSync.stateMachine,
        [concordFlows.procureToPay]: this.procureToPay.stateMachine,
      },
      alarms: [
        ...stateful.alarms,
        ...this.node.findAll().filter((construct): construct is AlarmBase => construct instanceof AlarmBase),
      ],
    });
  }

  /**
   * The alarms on outcomes rather than on resources: the latency SLOs (every one of slo-alarms.ts's `latencySlos`;
   * the stateful stack alarms the other two, beside their queue and stream), a transaction an ERP workflow
   * gave up on, an ERP answer that is unknown in any flow, and the API answering 5xx.
   */
  private businessAlarms(config: StageConfig): void {
    const retried =
      'ERP adapter errors the workflow retries by design (throttles, an ERP outage, a lost answer read back from the ERP) alarm nobody; this fires once the retries, the redrive and the compensation are done.';
    for (const workflow of [
      this.orderToCash,
      this.paymentApplication,
      this.customerSync,
      this.employeeSync,
      this.supplierSync,
      this.procureToPay,
    ])
      workflow.alarmOnFailedExecutions(retried);
    // Every latency SLO slo-alarms.ts names, each on its own flow's metric.
    for (const name of Object.keys(latencySlos) as (keyof typeof latencySlos)[])
      alarmOnLatencySlo(this, config.stage, name, config.slos[name]);
    for (const [name, flow] of Object.entries(concordFlows))
      new Alarm(this, `UnknownOutcomes${name[0]?.toUpperCase()}${name.slice(1)}Alarm`, {
        alarmDescription: `The ERP's answer to a ${flow} call is unknown (timeout or reset after sending): the transaction waits to be checked against the ERP. docs/observability.md#unknown-outcomes`,
        metric: concordMetric(config.stage, 'UnknownOutcomes', { flow }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    new Alarm(this, 'Api5xxAlarm', {
      alarmDescription:
        'The HTTP API answered 5xx (ingest unavailable: senders retry; or a function failed). docs/observability.md#api-5xx',
      metric: this.api.metricServerError({ period: Duration.minutes(5), statistic: Stats.SUM }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
  /**
   * The Reconcile function: daily at 03:00 UTC it compares the previous day's SaaS events, ERP documents and
   * warehouse rows through Athena; an operator invokes it for any window (concord reconcile --stage). Mismatches go
   * to the exceptions queue and the ReconciliationMismatches metric, which alarms.
   */
  private scheduledReconciliation(
    config: StageConfig,
    stateful: StatefulResources,
    erpEnvironment: { ERP_BASE_URL: string; ERP_TIMEOUT_MS: string },
  ): RuleTargetFunction {
    const catalog = stateful.warehouseCatalog;
    const reconcile = new ServiceFunction(this, 'Reconcile', {
      functionDir: 'reconcile',
      stage: config.stage,
      memorySizeMiB: 1024,
      timeoutSec: 900,
      logRetention: config.logRetention,
      environment: {
        ERP_BASE_URL: erpEnvironment.ERP_BASE_URL,
        ERP_TIMEOUT_MS: erpEnvironment.ERP_TIMEOUT_MS,
        ATHENA_WORKGROUP: catalog.workGroupName,
        WAREHOUSE_DATABASE: catalog.databaseName,
        ALLOWED_LAG_MS: String(allowedWarehouseLagMs(config)),
        MAX_EXCEPTION_MESSAGES: '1000',
      },
    });
    reconcile.bindQueue('EXCEPTIONS_QUEUE_URL', stateful.exceptionsQueue);
    reconcile.bindSecret('ERP_CREDENTIALS_SECRET_ID', stateful.erpCredentials);
    reconcile.bindEventBus('EVENT_BUS_NAME', stateful.bus);
    reconcile.bindBucketWriter('RESULTS_BUCKET_NAME', stateful.reconciliationWriter);
    reconcile.role.addManagedPolicy(catalog.queryPolicy);
    const deadLetters = this.deadLetterQueue('ReconcileDlq', 'the reconciliation schedule');
    reconcile.function.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(deadLetters) });
    const rule = new Rule(this, 'ReconcileSchedule', {
      description: "Reconciles the previous UTC day's SaaS events, ERP documents and warehouse rows",
      schedule: Schedule.cron({ minute: '0', hour: '3' }),
      targets: [new LambdaFunction(reconcile.function, { deadLetterQueue: deadLetters, retryAttempts: 2 })],
    });
    new Alarm(this, 'ReconciliationMismatchesAlarm', {
      alarmDescription:
        'SaaS, ERP and warehouse disagree: see the exceptions queue and docs/runbooks/reconcile.md',
      metric: reconciliationMismatches(config.stage),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return { target: reconcile, rule, deadLetters };
  }

  /**
   * The replay function (console and automation; `concord replay` runs the same use cases from a laptop): reads and
   * deletes dead letters of this stack only, re-publishes to the stage bus, writes the ops audit.
   */
  private governedReplay(
    config: StageConfig,
    stateful: StatefulResources,
    props: GovernedReplayProps,
  ): ServiceFunction {
    const queues = [...props.deadLetterQueues, stateful.exceptionsQueue, stateful.parkingQueue];
    const replay = new ServiceFunction(this, 'Replay', {
      functionDir: 'replay',
      stage: config.stage,
      memorySizeMiB: 256,
      timeoutSec: 900,
      logRetention: config.logRetention,
      environment: { DEAD_LETTER_QUEUE_URLS: this.toJsonString(queues.map((queue) => queue.queueUrl)) },
    });
    replay.bindEventBus('EVENT_BUS_NAME', stateful.bus);
    replay.bindTableItems('OPS_AUDIT_TABLE_NAME', stateful.opsAuditTable);
    replay.allow(['dynamodb:Query'], [stateful.opsAuditTable.tableArn]);
    replay.bindTableReader('VERSION_TABLE_NAME', stateful.versionTable);
    replay.allow(
      ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      queues.map((queue) => queue.queueArn),
    );
    replay.allow(['sqs:SendMessage'], [stateful.parkingQueue.queueArn]);
    // A dead letter goes back to the one target that failed it: the rule's input settings are read, then only that
    // target is started, invoked or written to (the functions that rules and destinations invoke; the warehouse).
    replay.allow(
      ['events:ListTargetsByRule'],
      props.rules.map((rule) => rule.ruleArn),
    );
    for (const workflow of props.workflows) workflow.stateMachine.grantStartExecution(replay.role);
    replay.allow(
      ['lambda:InvokeFunction'],
      props.targetFunctions.map((target) => target.function.functionArn),
    );
    replay.allow(['firehose:PutRecord'], [stateful.warehouseStream.deliveryStreamArn]);
    return replay;
  }

  /**
   * A dead-letter queue, kept 14 days and retained on stack deletion, with alarms on anything in it and on a message
   * left unhandled for an hour; `protects` names what fails into it. The caller hands it to governed replay.
   */
  private deadLetterQueue(id: string, protects: string): Queue {
    const queue = new Queue(this, id, {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `It is the dead-letter queue of ${protects}`,
    });
    alarmOnFailures(this, id, queue, protects);
    return queue;
  }

  /**
   * The item write-back (docs/item-sync.md): the ERP's stock and price events queued, recorded as the latest per key in
   * the version table, and written to Shopify by delayed flush requests on the same queue, one write per key per burst.
   * Its event source runs at most two at a time: the shop's rate limit is the bound, not Lambda.
   */
  private itemWriteBackToShopify(config: StageConfig, stateful: StatefulResources): RuleTargetFunction {
    const timeoutSec = 60;
    const flushMaxAttempts = 5;
    const { shopify } = platformSettings(config);
    const deadLetters = this.deadLetterQueue(
      'ItemWriteBackDlq',
      'the item write-back (stock and price writes to Shopify, and events it could not read)',
    );
    const queue = new Queue(this, 'ItemWriteBackQueue', {
      // Lambda's advice for SQS event sources: six times the function's timeout, so a batch is not seen twice.
      visibilityTimeout: Duration.seconds(6 * timeoutSec),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Past its attempts a flush dead-letters itself with Shopify's answer; this catches what could not be read.
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: flushMaxAttempts + 2 },
    });
    const itemWriteBack = new ServiceFunction(this, 'ItemWriteBack', {
      functionDir: 'write-back/items',
      stage: config.stage,
      memorySizeMiB: 256,
      timeoutSec,
      logRetention: config.logRetention,
      environment: {
        // The stage's shop (locally the ERP sandbox's stand-in); its access token is in the secret bound below.
        SHOPIFY_ADMIN_API_URL: `${shopify.shopUrl}/admin/api/${shopify.apiVersion}`,
        SHOPIFY_CURRENCY: shopify.currency,
        SHOPIFY_LEAK_PER_SEC: String(shopify.leakPerSec),
        SHOPIFY_LOCATION_NAMES: JSON.stringify(shopify.locationNames),
        PLATFORM_TIMEOUT_MS: String(config.erp.timeoutMs),
        COALESCE_WINDOW_SEC: '30',
        FLUSH_MAX_ATTEMPTS: String(flushMaxAttempts),
        ERP_BASE_URL: config.erp.baseUrl,
        ERP_TIMEOUT_MS: String(config.erp.timeoutMs),
      },
    });
    itemWriteBack.bindQueue('ITEM_QUEUE_URL', queue);
    itemWriteBack.bindQueue('ITEM_DEAD_LETTER_QUEUE_URL', deadLetters);
    itemWriteBack.bindTableItems('LATEST_CHANGE_TABLE_NAME', stateful.versionTable);
    itemWriteBack.bindSecret('ERP_CREDENTIALS_SECRET_ID', stateful.erpCredentials);
    itemWriteBack.bindSecret('SHOPIFY_ACCESS_TOKEN_SECRET_ID', stateful.platformCredentials.shopify);
    itemWriteBack.function.addEventSource(
      new SqsEventSource(queue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      }),
    );
    const rule = new Rule(this, 'ItemWriteBackRule', {
      eventBus: stateful.bus,
      description: 'ERP stock levels and prices queued for the item write-back to Shopify',
      eventPattern: {
        source: [erpBusSource],
        detailType: ['erp.stock.changed.v1', 'erp.item.price-changed.v1'],
      },
      targets: [
        new SqsQueue(queue, {
          deadLetterQueue: deadLetters,
          ...busTargetRetries,
        }),
      ],
    });
    return { target: itemWriteBack, rule, deadLetters };
  }

  /**
   * employee-sync: HRIS lifecycle events onto the ERP's employee register. Its HRIS reader reads Bob's People API, since
   * Bob's webhooks carry ids, not values: the stage's Bob tenant (locally the ERP sandbox's stand-in), its service
   * user in a secret.
   */
  private employeeSyncWorkflow(
    config: StageConfig,
    stateful: StatefulResources,
    erpAdapter: ServiceFunction,
    versionGate: ServiceFunction,
  ): BusWorkflow {
    const { hibob } = platformSettings(config);
    const hrisReader = new ServiceFunction(this, 'HrisReader', {
      functionDir: 'hris-reader',
      stage: config.stage,
      memorySizeMiB: 128,
      timeoutSec: 15,
      logRetention: config.logRetention,
      environment: {
        // The stage's Bob tenant (locally the ERP sandbox's stand-in); the service user is in the secret bound below.
        HIBOB_API_URL: hibob.apiUrl,
        HIBOB_COST_CENTRE_FIELD_ID: hibob.costCentreFieldId,
        HRIS_TIMEOUT_MS: String(config.erp.timeoutMs),
      },
    });
    hrisReader.bindSecret('HIBOB_SERVICE_USER_SECRET_ID', stateful.platformCredentials.hibob);
    return this.businessWorkflow('EmployeeSync', {
      definitionFile: 'employee-sync.asl.json',
      functions: {
        ErpAdapterFunctionArn: erpAdapter.function,
        VersionGateFunctionArn: versionGate.function,
        HrisReaderFunctionArn: hrisReader.function,
      },
      description: 'Employees hired, changed and terminated in the HRIS',
      detailTypes: ['hr.employee.hired.v1', 'hr.employee.changed.v1', 'hr.employee.terminated.v1'],
    });
  }

  /**
   * The write-back function: the ERP's answers (accepted, credit hold, invoiced, customer linked) sent to the platform
   * the record came from. One dead-letter queue catches both what EventBridge could not deliver and what the function
   * failed to write after Lambda's own retries.
   */
  private writeBackToPlatforms(config: StageConfig, bus: IEventBus): RuleTargetFunction {
    const deadLetters = this.deadLetterQueue('WriteBackDlq', 'the write-back function and its rule');
    const writeBack = new ServiceFunction(this, 'WriteBack', {
      functionDir: 'write-back',
      stage: config.stage,
      memorySizeMiB: 128,
      timeoutSec: 15,
      logRetention: config.logRetention,
      environment: {
        // The ERP sandbox hosts the platform outbox until platform connectors take the port's place.
        PLATFORM_OUTBOX_URL: config.erp.baseUrl,
        PLATFORM_TIMEOUT_MS: String(config.erp.timeoutMs),
      },
    });
    const rule = this.routeErpAnswersToWriteBack('WriteBackRule', writeBack, deadLetters, {
      bus,
      description: 'ERP answers written back to the platform the order or customer came from',
      detailTypes: [
        'erp.order.accepted.v1',
        'erp.order.credit-held.v1',
        'erp.invoice.posted.v1',
        'erp.customer.synced.v1',
      ],
    });
    return { target: writeBack, rule, deadLetters };
  }

  /**
   * The purchase-order write-back (docs/purchase-orders.md): the ERP's PO number, refusals and three-way match written
   * to the procurement platform the order came from, at the stage's `platforms.spendesk.apiUrl` (locally the ERP
   * sandbox's stand-in); the token is the stage's Spendesk platform secret.
   */
  private purchaseOrderWriteBack(config: StageConfig, stateful: StatefulResources): RuleTargetFunction {
    const deadLetters = this.deadLetterQueue(
      'PurchaseOrderWriteBackDlq',
      'the purchase-order write-back and its rule',
    );
    const { spendesk } = platformSettings(config);
    const writeBack = new ServiceFunction(this, 'PurchaseOrderWriteBack', {
      functionDir: 'write-back/purchase-orders',
      stage: config.stage,
      memorySizeMiB: 128,
      timeoutSec: 15,
      logRetention: config.logRetention,
      environment: {
        // The stage's Spendesk API (locally the ERP sandbox's stand-in); the token is in the secret bound below.
        SPENDESK_API_URL: spendesk.apiUrl,
        PLATFORM_TIMEOUT_MS: String(config.erp.timeoutMs),
      },
    });
    writeBack.bindSecret('SPENDESK_API_TOKEN_SECRET_ID', stateful.platformCredentials.spendesk);
    const rule = this.routeErpAnswersToWriteBack('PurchaseOrderWriteBackRule', writeBack, deadLetters, {
      bus: stateful.bus,
      description:
        "The ERP's PO number, refusal and three-way match written back to the procurement platform",
      detailTypes: [
        'erp.purchase-order.released.v1',
        'erp.purchase-order.refused.v1',
        'erp.purchase-order.match-updated.v1',
      ],
    });
    return { target: writeBack, rule, deadLetters };
  }

  /**
   * Routes the ERP's answers to a write-back function: a rule on the bus for the given types, only for answers to a
   * platform's own record (they carry an origin), delivered with EventBridge's retries for a day and then parked in
   * `deadLetters`; the function's own asynchronous failures (two retries within six hours) land there too.
   */
  private routeErpAnswersToWriteBack(
    ruleId: string,
    writeBack: ServiceFunction,
    deadLetters: Queue,
    props: { readonly bus: IEventBus; readonly description: string; readonly detailTypes: string[] },
  ): Rule {
    writeBack.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(deadLetters),
    });
    return new Rule(this, ruleId, {
      eventBus: props.bus,
      description: props.description,
      eventPattern: {
        source: [erpBusSource],
        detailType: props.detailTypes,
        detail: { origin: [{ exists: true }] },
      },
      targets: [
        new LambdaFunction(writeBack.function, {
          deadLetterQueue: deadLetters,
          ...busTargetRetries,
        }),
      ],
    });
  }

  /**
   * A business workflow started from the bus: the Express workflow with the stage's logging, sending its failures to
   * the exceptions queue and its redrives to the redrive queue, and a rule on the bus that starts it with its own
   * dead-letter queue: EventBridge retries a failed start for a day, then parks the event there for replay. The queue
   * lives beside the rule because its policy names it.
   */
  private businessWorkflow(id: string, props: BusinessWorkflowProps): BusWorkflow {
    const { config, stateful } = this;
    const workflow = new Workflow(this, id, {
      definitionFile: props.definitionFile,
      logRetention: config.logRetention,
      includeExecutionData: config.workflowLogs.includeExecutionData,
      functions: props.functions,
      queues: { ExceptionsQueueUrl: stateful.exceptionsQueue, RedriveQueueUrl: stateful.redriveQueue },
    });
    const deadLetters = this.deadLetterQueue(`${id}Dlq`, `the ${id} rule target`);
    const rule = new Rule(this, `${id}Rule`, {
      eventBus: stateful.bus,
      description: props.description,
      eventPattern: {
        source: [...(props.sources ?? [ingestBusSource])],
        detailType: [...props.detailTypes],
      },
      targets: [
        new SfnStateMachine(workflow.stateMachine, {
          deadLetterQueue: deadLetters,
          ...busTargetRetries,
        }),
      ],
    });
    return { workflow, rule, deadLetters };
  }
}
