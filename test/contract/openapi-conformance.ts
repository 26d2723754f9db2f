/** Checks HTTP answers against an OpenAPI 3.1 document with Ajv, and tracks which documented answers a test exercised. */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** An answer as a handler or server gave it: header names in any case, the body as text. */
export interface HttpAnswer {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
}

type Node = Record<string, unknown>;

/** A documented response: where it sits in the document (a JSON pointer) and what it says. */
interface DocumentedResponse {
  pointer: string;
  response: Node;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** The OpenAPI document as a checker of answers. */
export class OpenApiConformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly exercised = new Set<string>();
  private readonly id: string;

  constructor(
    private readonly document: Node,
    name: string,
  ) {
    addFormats(this.ajv);
    this.id = `urn:concord-contract:${name}`;
    // The whole document is one schema resource, so that every `#/components/schemas/…` $ref resolves in place.
    this.ajv.addSchema({ ...document, $id: this.id });
  }

  /** The `METHOD path` of every operation in the document. */
  operations(): string[] {
    const paths = this.document.paths as Record<string, Record<string, unknown>>;
    return Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => ['get', 'put', 'post', 'delete', 'patch'].includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
  }

  /** The documented operation object of `METHOD path`; throws when the document has none. */
  operation(method: string, path: string): Node {
    const item = (this.document.paths as Record<string, Record<string, Node>>)[path];
    const operation = item?.[method.toLowerCase()];
    if (!operation) throw new Error(`the document has no ${method.toUpperCase()} ${path}`);
    return operation;
  }

  /** The compiled schema at a JSON pointer of the document (segments already ~-escaped). */
  private schemaAt(pointer: string) {
    return this.ajv.getSchema(`${this.id}#${pointer.split('/').map(encodeURIComponent).join('/')}`);
  }

  private resolve(pointer: string, node: Node): DocumentedResponse {
    const ref = node.$ref;
    if (typeof ref !== 'string') return { pointer, response: node };
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, not ${ref}`);
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>(
        (at, segment) => (at as Node | undefined)?.[segment.replace(/~1/g, '/').replace(/~0/g, '~')],
        this.document,
      );
    if (!target) throw new Error(`${ref} does not resolve`);
    return this.resolve(ref.slice(1), target as Node);
  }

  /** The documented responses of an operation, by status. */
  responses(method: string, path: string): Map<string, DocumentedResponse> {
    const base = `/paths/${escapePointer(path)}/${method.toLowerCase()}/responses`;
    const responses = (this.operation(method, path).responses ?? {}) as Record<string, Node>;
    return new Map(
      Object.entries(responses).map(([status, node]) => [
        status,
        this.resolve(`${base}/${escapePointer(status)}`, node),
      ]),
    );
  }

  /**
   * Throws, naming the operation, unless the answer's status is documented and its content type, required headers
   * and body match that response; records the status as exercised.
   */
  assertAnswer(method: string, path: string, answer: HttpAnswer): void {
    const where = `${method.toUpperCase()} ${path} answered ${answer.status}`;
    const documented = this.responses(method, path);
    const found = documented.get(String(answer.status));
    if (!found)
      throw new Error(
        `${where}, which the document does not list (it lists ${[...documented.keys()].join(', ')})`,
      );
    const headers = new Map(
      Object.entries(answer.headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
    for (const [name, header] of Object.entries((found.response.headers ?? {}) as Record<string, Node>)) {
      const value = headers.get(name.toLowerCase());
      if (value === undefined) {
        if (header.required === true) throw new Error(`${where} without its documented ${name} header`);
        continue;
      }
      const check = this.schemaAt(`${found.pointer}/headers/${escapePointer(name)}/schema`);
      if (check && !check(value))
        throw new Error(
          `${where} with ${name}: ${value}, not as documented: ${this.ajv.errorsText(check.errors)}`,
        );
    }
    const content = (found.response.content ?? {}) as Record<string, Node>;
    const mediaType = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (Object.keys(content).length === 0) {
      if (answer.body.length > 0) throw new Error(`${where} with a body the document does not describe`);
    } else {
      if (!mediaType || !content[mediaType])
        throw new Error(
          `${where} as ${mediaType ?? 'no content type'}, not ${Object.keys(content).join(' or ')}`,
        );
      const check = this.schemaAt(`${found.pointer}/content/${escapePointer(mediaType)}/schema`);
      if (!check) throw new Error(`${where}: the document gives no schema for ${mediaType}`);
      // A JSON media type is checked as the value it encodes; any other (text/html) as the text itself.
      let body: unknown = answer.body;
      if (mediaType === 'application/json' || mediaType.endsWith('+json'))
        try {
          body = JSON.parse(answer.body);
        } catch {
          throw new Error(`${where} with a body that is not JSON: ${answer.body.slice(0, 200)}`);
        }
      if (!check(body))
        throw new Error(
          `${where} with a body the documented schema refuses: ${this.ajv.errorsText(check.errors)}\n${answer.body.slice(0, 1000)}`,
        );
    }
    this.exercised.add(`${method.toUpperCase()} ${path} ${answer.status}`);
  }

  /** Asserts the request body against the operation's documented request schema; answers whether it is valid. */
  acceptsRequest(method: string, path: string, body: unknown, mediaType = 'application/json'): boolean {
    const pointer = `/paths/${escapePointer(path)}/${method.toLowerCase()}/requestBody/content/${escapePointer(mediaType)}/schema`;
    const check = this.schemaAt(pointer);
    if (!check) throw new Error(`${method.toUpperCase()} ${path} documents no ${mediaType} request body`);
    return check(body) as boolean;
  }

  /**
   * The documented answers no assertAnswer has seen yet, as `METHOD path status`; those answered by another party
   * (the response says so with `marker`) are left out, as no handler can give them.
   */
  unexercised(marker?: { key: string; value: string }): string[] {
    return this.operations().flatMap((operation) => {
      const [method = '', path = ''] = operation.split(' ');
      return [...this.responses(method, path)]
        .filter(([, { response }]) => !marker || response[marker.key] !== marker.value)
        .map(([status]) => `${operation} ${status}`)
        .filter((answer) => !this.exercised.has(answer));
    });
  }
}
