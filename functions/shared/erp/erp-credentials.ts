/** Who Concord is to the ERP: the API key its HTTP connector presents, and where that key comes from. */

/** The API key Concord presents to the ERP; `refresh` asks the source again (a key rotated since it was read). */
export interface ErpCredentials {
  apiKey(options?: { refresh?: boolean }): Promise<string>;
}

/** Credentials that do not change while the process runs (tests, the CLI beside a local sandbox). */
export function staticErpCredentials(apiKey: string): ErpCredentials {
  return { apiKey: async () => apiKey };
}

/** The tag that marks the ERP credentials secret, so that `npm start` loads the local sandbox's key into it. */
export const erpCredentialsSecretTag = 'concord:erp-credentials';
