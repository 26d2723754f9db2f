import { loadOrderValidationConfig } from '../../../functions/order-validation-api/config';
import { ConfigurationError } from '../../../functions/shared/errors';

const complete = {
  VALIDATION_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:validation',
  VALIDATION_BUDGET_MS: '2500',
};

describe('loadOrderValidationConfig', () => {
  it('reads the workflow, the budget and the host-prefix setting the stack gives', () => {
    // Act
    const config = loadOrderValidationConfig({ ...complete, SFN_DISABLE_HOST_PREFIX: 'true' });
    // Assess
    expect(config).toEqual({
      stateMachineArn: complete.VALIDATION_STATE_MACHINE_ARN,
      budgetMs: 2500,
      sfnDisableHostPrefix: true,
    });
  });

  it('keeps the sync- host when SFN_DISABLE_HOST_PREFIX is false, whatever endpoint is configured', () => {
    // Act
    const config = loadOrderValidationConfig({
      ...complete,
      SFN_DISABLE_HOST_PREFIX: 'false',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
    });
    // Assess
    expect(config.sfnDisableHostPrefix).toBe(false);
  });

  it('rejects a host-prefix setting that is not true or false, naming the variable', () => {
    // Act
    const load = () => loadOrderValidationConfig({ ...complete, SFN_DISABLE_HOST_PREFIX: 'yes' });
    // Assess
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow('SFN_DISABLE_HOST_PREFIX must be true or false, got "yes"');
  });

  it('rejects a missing workflow, budget and host-prefix setting, naming all three', () => {
    // Act
    const load = () => loadOrderValidationConfig({});
    // Assess
    expect(load).toThrow(
      'Missing environment variables: VALIDATION_STATE_MACHINE_ARN, VALIDATION_BUDGET_MS, SFN_DISABLE_HOST_PREFIX',
    );
  });
});
