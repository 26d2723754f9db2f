/** The deployed HTTP APIs: routes and Lambda proxy integrations, kept in the store so they survive a restart. */
import type { DurableStore } from '../store/durable-store';

/** A Lambda proxy integration. */
export interface HttpIntegration {
  functionArn: string;
  payloadFormatVersion: string;
  timeoutMs: number;
  /** The role API Gateway assumes to invoke the function (`CredentialsArn`); absent, the function's policy decides. */
  credentialsArn?: string;
}

interface RouteRecord {
  apiId: string;
  routeKey: string;
  integrationId: string;
}

/** A route that matched a request. */
export interface RouteMatch {
  apiId: string;
  routeKey: string;
  integration: HttpIntegration;
  pathParameters: Record<string, string>;
}

function matchPath(template: string, actual: string): Record<string, string> | undefined {
  const expected = template.split('/').filter(Boolean);
  const given = actual.split('/').filter(Boolean);
  const parameters: Record<string, string> = {};
  for (let i = 0; i < expected.length; i += 1) {
    const segment = expected[i] as string;
    const greedy = /^\{(.+)\+\}$/.exec(segment);
    if (greedy) {
      if (i >= given.length) return undefined;
      parameters[greedy[1] as string] = given.slice(i).map(decodeURIComponent).join('/');
      return parameters;
    }
    const value = given[i];
    if (value === undefined) return undefined;
    const parameter = /^\{(.+)\}$/.exec(segment);
    if (parameter) parameters[parameter[1] as string] = decodeURIComponent(value);
    else if (segment !== value) return undefined;
  }
  return expected.length === given.length ? parameters : undefined;
}

/** Routes and integrations of every deployed HTTP API. */
export class HttpApiRegistry {
  constructor(
    private readonly store: DurableStore,
    readonly endpoint: () => string,
  ) {}

  putApi(id: string, name: string): void {
    this.store.putResource('apigw-api', id, { id, name });
  }

  removeApi(id: string): void {
    this.store.deleteResource('apigw-api', id);
  }

  putIntegration(apiId: string, id: string, integration: HttpIntegration): void {
    this.store.putResource('apigw-integration', id, { apiId, ...integration });
  }

  putRoute(apiId: string, id: string, routeKey: string, integrationId: string): void {
    this.store.putResource('apigw-route', id, { apiId, routeKey, integrationId } satisfies RouteRecord);
  }

  removeRoute(id: string): void {
    this.store.deleteResource('apigw-route', id);
  }

  /** Every route key, for the startup report. */
  routeKeys(): string[] {
    return this.store.listResources<RouteRecord>('apigw-route').map(({ value }) => value.routeKey);
  }

  /** The most specific route matching a request (exact paths before parameters, $default last). */
  match(method: string, requestPath: string): RouteMatch | undefined {
    const candidates: (RouteMatch & { score: number })[] = [];
    for (const { value: route } of this.store.listResources<RouteRecord>('apigw-route')) {
      const integration = this.store.getResource<HttpIntegration>('apigw-integration', route.integrationId);
      if (!integration) continue;
      if (route.routeKey === '$default') {
        candidates.push({
          apiId: route.apiId,
          routeKey: route.routeKey,
          integration,
          pathParameters: {},
          score: -1,
        });
        continue;
      }
      const [routeMethod = '', template = ''] = route.routeKey.split(' ');
      if (routeMethod !== 'ANY' && routeMethod !== method) continue;
      const pathParameters = matchPath(template, requestPath);
      if (!pathParameters) continue;
      const score =
        template.split('/').filter((segment) => segment && !segment.startsWith('{')).length * 2 +
        (routeMethod === 'ANY' ? 0 : 1);
      candidates.push({ apiId: route.apiId, routeKey: route.routeKey, integration, pathParameters, score });
    }
    return candidates.sort((a, b) => b.score - a.score)[0];
  }
}
