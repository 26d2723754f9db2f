/** The ERP connector with the employee register (docs/erp-sandbox.openapi.yaml, /employees): same auth, deadlines and outcome rules. */

import type { EmployeeFields, EmployeeRecord, ErpEmployeePort } from './erp-employee-port';
import { ErpNotFoundError } from './erp-errors';
import { HttpErpConnector } from './http-erp-connector';

/** An ErpPort and ErpEmployeePort over the ERP's HTTP API. */
export class HttpErpEmployeeConnector extends HttpErpConnector implements ErpEmployeePort {
  hireEmployee(
    request: { hrisId: string; startDate: string; fields: EmployeeFields },
    key: string,
  ): Promise<EmployeeRecord> {
    return this.call('POST', '/employees', request, key);
  }

  changeEmployee(
    employeeNumber: string,
    request: { fields: EmployeeFields },
    key: string,
  ): Promise<EmployeeRecord> {
    return this.call('POST', `/employees/${encodeURIComponent(employeeNumber)}/changes`, request, key);
  }

  terminateEmployee(
    employeeNumber: string,
    request: { terminationDate: string; reason?: string },
    key: string,
  ): Promise<EmployeeRecord> {
    return this.call('POST', `/employees/${encodeURIComponent(employeeNumber)}/termination`, request, key);
  }

  async findEmployee(hrisId: string): Promise<EmployeeRecord | undefined> {
    try {
      return await this.call<EmployeeRecord>('GET', `/employees?hrisId=${encodeURIComponent(hrisId)}`);
    } catch (error) {
      if (error instanceof ErpNotFoundError) return undefined;
      throw error;
    }
  }

  async listEmployees(changed?: { fromIso: string; toIso: string }): Promise<EmployeeRecord[]> {
    const query = changed
      ? `?${new URLSearchParams({ updatedFrom: changed.fromIso, updatedTo: changed.toIso })}`
      : '';
    const { employees } = await this.call<{ employees: EmployeeRecord[] }>('GET', `/employees${query}`);
    return employees;
  }
}
