/**
 * The console's pages, in navigation order. A page is one module under console/server/pages/ exporting a
 * `ConsolePage`; adding it here is all it takes to route it and put it in the navigation (the first is the home).
 */
import type { ConsolePage } from '../console-page';
import { auditPage } from './audit';
import { exceptionsPage } from './exceptions';
import { overviewPage } from './overview';
import { reconciliationPage } from './reconciliation';
import { transactionPage } from './transaction';

/** Every page of the console, in the order of the navigation. */
export const consolePages: readonly ConsolePage[] = [
  overviewPage,
  exceptionsPage,
  transactionPage,
  reconciliationPage,
  auditPage,
];
