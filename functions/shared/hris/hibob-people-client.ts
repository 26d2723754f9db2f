/**
 * The HRIS port over HiBob's People read API (POST /v1/people/{identifier}, HTTP Basic with a service user; see
 * https://apidocs.hibob.com/docs/people-read-api-contract): Bob's field ids mapped to the canonical employee fields.
 */
import type { EmployeeFields, HrisOwnedEmployeeField } from '../erp/erp-employee-port';
import { DownstreamUnavailableError } from '../errors';
import type { HibobServiceUser, PlatformCredentials } from '../secrets/platform-credentials';
import {
  type ChangedFieldsReading,
  type HrisEmployee,
  HrisEmployeeNotFoundError,
  type HrisPort,
  HrisUnavailableError,
} from './hris-port';

/** Where Bob is and who Concord is to it. */
export interface HibobPeopleClientOptions {
  /** Bob's API base, e.g. https://api.hibob.com/v1. */
  baseUrl: string;
  /** The service user (id and token), read from its secret; read again after Bob answers 401. */
  serviceUser: PlatformCredentials<HibobServiceUser>;
  /**
   * The Bob field id holding the cost centre: a tenant's own field (Bob custom fields are `<category>.field_<id>`),
   * so each deployment names it.
   */
  costCentreFieldId: string;
  timeoutMs?: number;
}

/** Bob's read field id (dotted) of each canonical field the HRIS owns; the cost centre's comes from the options. */
const bobFieldIds: Record<Exclude<HrisOwnedEmployeeField, 'costCentre' | 'phone'>, string> = {
  firstName: 'root.firstName',
  lastName: 'root.surname',
  displayName: 'root.displayName',
  workEmail: 'root.email',
  jobTitle: 'work.title',
  department: 'work.department',
};

/** Bob field-id prefixes (as webhooks name them, /category/field) whose values are the ERP's: payroll and bank. */
const erpOwnedCategories: Record<string, string> = { '/payroll/': 'salary', '/financial/': 'bankAccount' };

/** A webhook's field id (/work/title) as the read API names it (work.title). */
function readIdOf(webhookFieldId: string): string {
  return webhookFieldId.replace(/^\//, '').replaceAll('/', '.');
}

function valueAt(person: Record<string, unknown>, fieldId: string): unknown {
  const [category, ...rest] = fieldId.split('.');
  if (category === 'root') return person[rest.join('.')];
  let value: unknown = person[category as string];
  for (const part of rest) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

/** The HRIS port over HiBob. */
export class HibobPeopleClient implements HrisPort {
  private readonly fieldIds: Partial<Record<HrisOwnedEmployeeField, string>>;

  constructor(private readonly options: HibobPeopleClientOptions) {
    this.fieldIds = { ...bobFieldIds, costCentre: options.costCentreFieldId };
  }

  async readEmployee(hrisEmployeeId: string): Promise<HrisEmployee> {
    return {
      hrisEmployeeId,
      fields: await this.read(hrisEmployeeId, Object.keys(this.fieldIds) as HrisOwnedEmployeeField[]),
    };
  }

  async readChangedFields(
    hrisEmployeeId: string,
    changedFieldIds: readonly string[],
  ): Promise<ChangedFieldsReading> {
    const owned: HrisOwnedEmployeeField[] = [];
    const foreign = new Set<string>();
    const ignored: string[] = [];
    for (const fieldId of changedFieldIds) {
      const readId = readIdOf(fieldId);
      const canonical = (Object.entries(this.fieldIds) as [HrisOwnedEmployeeField, string][]).find(
        ([, id]) => id === readId,
      )?.[0];
      const erpOwned = Object.entries(erpOwnedCategories).find(([prefix]) => fieldId.startsWith(prefix))?.[1];
      if (canonical) owned.push(canonical);
      else if (erpOwned) foreign.add(erpOwned);
      else ignored.push(fieldId);
    }
    const fields = owned.length > 0 ? await this.read(hrisEmployeeId, owned) : {};
    return { fields, foreignChanges: [...foreign].sort(), ignoredFields: ignored };
  }

  /** The service user; Secrets Manager out of reach is the HRIS out of reach for the workflow (retried). */
  private async serviceUser(refresh: boolean): Promise<HibobServiceUser> {
    try {
      return await this.options.serviceUser.read({ refresh });
    } catch (error) {
      if (!(error instanceof DownstreamUnavailableError)) throw error;
      throw new HrisUnavailableError(`The HiBob service user could not be read: ${error.message}`, {
        cause: error,
      });
    }
  }

  /** Reads some canonical fields; a field Bob omits (no value, or no permission) is left out, as Bob leaves it. */
  private async read(
    hrisEmployeeId: string,
    wanted: readonly HrisOwnedEmployeeField[],
  ): Promise<EmployeeFields> {
    const what = `HiBob POST /people/${hrisEmployeeId}`;
    // humanReadable REPLACE: list fields (department) as their names, which the ERP keeps, not Bob's list ids.
    const body = JSON.stringify({
      fields: wanted.map((field) => this.fieldIds[field]),
      humanReadable: 'REPLACE',
    });
    let response: Response | undefined;
    let text = '';
    // A 401 comes before Bob reads anything: sent once more with the service user read again (it may have been
    // rotated since). A second 401 means the secret is wrong: unavailable, so the workflow retries until it is fixed.
    for (const refresh of [false, true]) {
      const serviceUser = await this.serviceUser(refresh);
      try {
        response = await fetch(`${this.options.baseUrl}/people/${encodeURIComponent(hrisEmployeeId)}`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${serviceUser.id}:${serviceUser.token}`).toString('base64')}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        text = await response.text();
      } catch (error) {
        throw new HrisUnavailableError(`${what}: no answer (${(error as Error).message})`, { cause: error });
      }
      if (response.status !== 401) break;
    }
    if (!response) throw new HrisUnavailableError(`${what}: not sent`);
    if (response.status === 401)
      throw new HrisUnavailableError(
        `${what}: Bob refused the service user (401), read twice; set the stage's HiBob secret (docs/runbooks/platform-credentials.md): ${text.slice(0, 200)}`,
      );
    if (response.status === 404) throw new HrisEmployeeNotFoundError(`${what}: Bob has no such employee`);
    if (!response.ok)
      throw new HrisUnavailableError(`${what} answered ${response.status}: ${text.slice(0, 200)}`);
    let person: Record<string, unknown>;
    try {
      person = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new HrisUnavailableError(`${what} answered with a body that is not JSON`, { cause: error });
    }
    const fields: EmployeeFields = {};
    for (const field of wanted) {
      const value = valueAt(person, this.fieldIds[field] as string);
      if (typeof value === 'string' && value.trim() !== '') fields[field] = value.trim();
    }
    return fields;
  }
}
