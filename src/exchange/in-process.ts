/**
 * Services whose backend is `internal:<module>/<name>` are provided in this process by the
 * module that declares them: the provider gateway calls that module's routes through
 * `app.inject`, proving itself with the node's gateway token.
 */
import type { FastifyInstance } from 'fastify'
import { bytesInMemory } from './body.ts'
import { GATEWAY_TOKEN_HEADER } from './caller.ts'
import type { InProcessProvider } from './client.ts'
import { backendHeaders } from './gateway.ts'

/**
 * An in-process provider that is a route prefix of this app (a module's own HTTP API): the
 * provider gateway's checked request goes in with the node's gateway token, which only the
 * gateway holds, so the module's routes can tell it from a direct call.
 */
export function injectProvider(
  app: FastifyInstance,
  prefix: string,
  gatewayToken: () => Buffer,
): InProcessProvider {
  return async (request) => {
    const answer = await app.inject({
      method: request.method as 'GET',
      url: `${prefix}${request.url}`,
      headers: {
        ...backendHeaders(request),
        [GATEWAY_TOKEN_HEADER]: gatewayToken().toString('base64url'),
      },
      // In process, bodies come from Fastify's parser: always in memory, never spooled.
      ...(request.body.length === 0 ? {} : { payload: bytesInMemory(request.body) }),
    })
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(answer.headers))
      if (typeof value === 'string') headers[name] = value
      else if (typeof value === 'number') headers[name] = String(value)
    return { status: answer.statusCode, headers, body: answer.rawPayload }
  }
}
