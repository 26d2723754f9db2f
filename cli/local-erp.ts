/** The ERP connector the CLI uses beside a local platform: the sandbox's URL and its API key from the data directory. */
import path from 'node:path';
import { staticErpCredentials } from '../functions/shared/erp/erp-credentials';
import { HttpErpConnector } from '../functions/shared/erp/http-erp-connector';
import { HttpErpEmployeeConnector } from '../functions/shared/erp/http-erp-employee-connector';
import { HttpErpItemConnector } from '../functions/shared/erp/http-erp-item-connector';
import { HttpErpPurchasingConnector } from '../functions/shared/erp/http-erp-purchasing-connector';
import { HttpErpVendorConnector } from '../functions/shared/erp/http-erp-vendor-connector';
import { ConfigurationError } from '../functions/shared/errors';
import { readSandboxCredentials } from '../local/erp-sandbox/sandbox-credentials';

/** Where the ERP is, and where `npm start` keeps its data (the sandbox's credentials are under `<dataDir>/erp`). */
export function localErpConnector(options: { erpUrl: string; dataDir: string }): HttpErpConnector {
  return new HttpErpConnector(localErpOptions(options));
}

/** The vendor master's, the employee register's, purchasing's and the item register's connectors beside a local platform (for concord reconcile). */
export function localMasterConnectors(options: { erpUrl: string; dataDir: string }): {
  vendors: HttpErpVendorConnector;
  employees: HttpErpEmployeeConnector;
  purchasing: HttpErpPurchasingConnector;
  items: HttpErpItemConnector;
} {
  const connection = localErpOptions(options);
  return {
    vendors: new HttpErpVendorConnector(connection),
    employees: new HttpErpEmployeeConnector(connection),
    purchasing: new HttpErpPurchasingConnector(connection),
    items: new HttpErpItemConnector(connection),
  };
}

function localErpOptions(options: { erpUrl: string; dataDir: string }) {
  const apiKey =
    process.env.CONCORD_ERP_API_KEY ?? readSandboxCredentials(path.join(options.dataDir, 'erp'))?.apiKeys[0];
  if (!apiKey)
    throw new ConfigurationError(
      `No ERP API key: none in ${path.join(options.dataDir, 'erp', 'credentials.json')} (pass --data-dir of npm start) and CONCORD_ERP_API_KEY is not set`,
    );
  return { baseUrl: options.erpUrl, credentials: staticErpCredentials(apiKey) };
}
