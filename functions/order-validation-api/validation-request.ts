/** The body of POST /orders/validate, checked field by field so that a caller learns every mistake at once. */

/** One line as the storefront or checkout shows it; unitPrice is the price the buyer saw, compared with the ERP's. */
export interface ValidationLine {
  sku: string;
  quantity: number;
  unitPrice?: string;
}

/** What the order-validation workflow receives. */
export interface ValidationRequest {
  requestId: string;
  customer: { email: string };
  currency: string;
  lines: ValidationLine[];
}

/** One mistake in the body, by JSON pointer. */
export interface Violation {
  path: string;
  message: string;
}

/** Sizes a checkout sends; anything larger is a mistake, not an order to price. */
export const maxLines = 100;
/** The largest quantity of one line. */
export const maxQuantity = 100_000;
/** The longest SKU. */
export const maxSkuLength = 100;

/** What the checks accept, exported so that the OpenAPI document states the same rules. */
export const emailPattern = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
/** An ISO 4217 code. */
export const currencyPattern = /^[A-Z]{3}$/;
/** A non-negative decimal with at most four places, as a string. */
export const decimalPattern = /^\d{1,12}(\.\d{1,4})?$/;

function validLine(line: unknown, index: number, violations: Violation[]): ValidationLine | undefined {
  const at = `/lines/${index}`;
  if (line === null || typeof line !== 'object') {
    violations.push({ path: at, message: 'must be an object with sku and quantity' });
    return undefined;
  }
  const { sku, quantity, unitPrice } = line as Record<string, unknown>;
  const before = violations.length;
  if (typeof sku !== 'string' || sku.length === 0 || sku.length > maxSkuLength)
    violations.push({ path: `${at}/sku`, message: `must be a string of 1 to ${maxSkuLength} characters` });
  if (!Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > maxQuantity)
    violations.push({ path: `${at}/quantity`, message: `must be an integer from 1 to ${maxQuantity}` });
  if (unitPrice !== undefined && (typeof unitPrice !== 'string' || !decimalPattern.test(unitPrice)))
    violations.push({ path: `${at}/unitPrice`, message: 'must be a decimal string such as "19.99"' });
  if (violations.length > before) return undefined;
  return {
    sku: sku as string,
    quantity: quantity as number,
    ...(unitPrice !== undefined ? { unitPrice: unitPrice as string } : {}),
  };
}

/** The request, or every violation in it. */
export function parseValidationRequest(
  body: unknown,
  requestId: string,
): { request: ValidationRequest } | { violations: Violation[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { violations: [{ path: '/', message: 'must be a JSON object' }] };
  const { customer, currency, lines } = body as Record<string, unknown>;
  const violations: Violation[] = [];
  const email = (customer as { email?: unknown } | undefined)?.email;
  if (typeof email !== 'string' || !emailPattern.test(email))
    violations.push({ path: '/customer/email', message: 'must be the buyer’s email address' });
  if (typeof currency !== 'string' || !currencyPattern.test(currency))
    violations.push({ path: '/currency', message: 'must be an ISO 4217 code such as "USD"' });
  const parsedLines: ValidationLine[] = [];
  if (!Array.isArray(lines) || lines.length === 0 || lines.length > maxLines)
    violations.push({ path: '/lines', message: `must be a list of 1 to ${maxLines} lines` });
  else
    lines.forEach((line, index) => {
      const parsed = validLine(line, index, violations);
      if (parsed) parsedLines.push(parsed);
    });
  if (violations.length > 0) return { violations };
  return {
    request: {
      requestId,
      customer: { email: email as string },
      currency: currency as string,
      lines: parsedLines,
    },
  };
}
