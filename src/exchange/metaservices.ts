/**
 * X-Road's REST metaservices (PR-MREST), answered by gateways rather than by providers:
 *
 *   listClients                          (consumer gateway) members and subsystems of the
 *                                        instance, from the global configuration;
 *   {subsystem}/listMethods              (provider gateway) the subsystem's REST services with
 *                                        their endpoints (from each service's OpenAPI);
 *   {subsystem}/allowedMethods           the same, only what the calling client may call;
 *   {subsystem}/getOpenAPI?serviceCode=  a service's OpenAPI description, for a client with
 *                                        any right on it.
 *
 * The JSON shapes are X-Road's, so its clients and the GovStack Directory Services API read them.
 */
import { isAllowed, type AccessRight } from './access-rights.ts'
import { ExchangeError } from './errors.ts'
import type { GlobalConfiguration } from './global-conf.ts'
import type { ServiceId } from './request-path.ts'

export const METASERVICES = new Set(['listMethods', 'allowedMethods', 'getOpenAPI'])

export interface ProvidedService {
  readonly serviceCode: string
  readonly openapi: string | null
  readonly rights: readonly AccessRight[]
}

interface Endpoint {
  readonly method: string
  readonly path: string
}

/** The two dialects: X-Road's (snake_case) and the GovStack IM Directory Services API's. */
export type DirectoryShape = 'x-road' | 'govstack'

/** The passed header a consumer gateway adds when its client spoke GovStack (X-GovStack-Client). */
export const SHAPE_HEADER = 'x-estate-directory-shape'

export function listClients(
  configuration: GlobalConfiguration,
  shape: DirectoryShape = 'x-road',
): unknown {
  if (shape === 'govstack') {
    const identifier = (id: string) => {
      const [instanceId, memberClass, memberCode, applicationCode] = id.split('/')
      return {
        objectType: applicationCode === undefined ? 'MEMBER' : 'APPLICATION',
        instanceId,
        memberClass,
        memberCode,
        ...(applicationCode === undefined ? {} : { applicationCode }),
      }
    }
    const nameOf = (member: string) =>
      configuration.members.find((entry) => entry.id === member)?.name ?? ''
    return {
      member: [
        ...configuration.members.map((member) => ({
          id: identifier(member.id),
          name: member.name,
        })),
        ...configuration.subsystems.map((subsystem) => ({
          id: identifier(subsystem.id),
          name: nameOf(subsystem.member),
        })),
      ],
    }
  }
  const identifier = (id: string) => {
    const [instance, memberClass, memberCode, subsystem] = id.split('/')
    return {
      member_class: memberClass,
      member_code: memberCode,
      ...(subsystem === undefined ? {} : { subsystem_code: subsystem }),
      object_type: subsystem === undefined ? 'MEMBER' : 'SUBSYSTEM',
      xroad_instance: instance,
    }
  }
  const nameOf = (member: string) =>
    configuration.members.find((entry) => entry.id === member)?.name ?? ''
  return {
    member: [
      ...configuration.members.map((member) => ({ id: identifier(member.id), name: member.name })),
      ...configuration.subsystems.map((subsystem) => ({
        id: identifier(subsystem.id),
        name: nameOf(subsystem.member),
      })),
    ],
  }
}

/** The answer of a metaservice called on a provider subsystem, as JSON text. */
export function answerMetaservice(
  target: ServiceId,
  query: string,
  services: readonly ProvidedService[],
  client: { readonly id: string; readonly groups: readonly string[] },
  shape: DirectoryShape = 'x-road',
): { contentType: string; body: string } {
  const prefix = `${target.instance}/${target.memberClass}/${target.memberCode}/${target.subsystem}`
  const describe = (service: ProvidedService, endpoints: readonly Endpoint[]) =>
    shape === 'govstack'
      ? {
          objectType: 'SERVICE',
          serviceType: service.openapi === null ? 'REST' : 'OPENAPI',
          instanceId: target.instance,
          memberClass: target.memberClass,
          memberCode: target.memberCode,
          applicationCode: target.subsystem,
          serviceCode: service.serviceCode,
          endpointList: {
            member: endpoints.map((endpoint) => ({ method: endpoint.method, path: endpoint.path })),
          },
        }
      : xRoadService(service, endpoints)
  const wrap = (list: unknown[]) => (shape === 'govstack' ? { member: list } : { service: list })
  const xRoadService = (service: ProvidedService, endpoints: readonly Endpoint[]) => ({
    member_class: target.memberClass,
    member_code: target.memberCode,
    object_type: 'SERVICE',
    service_code: service.serviceCode,
    service_type: service.openapi === null ? 'REST' : 'OPENAPI',
    subsystem_code: target.subsystem,
    xroad_instance: target.instance,
    endpoint_list: endpoints.map((endpoint) => ({ method: endpoint.method, path: endpoint.path })),
  })
  if (target.serviceCode === 'listMethods')
    return json(wrap(services.map((service) => describe(service, endpointsOf(service)))))
  if (target.serviceCode === 'allowedMethods') {
    const allowed = services.flatMap((service) => {
      const id = `${prefix}/${service.serviceCode}`
      const mine = service.rights.filter(
        (right) =>
          right.client === client.id ||
          client.groups.some((group) => right.client === `group:${group}`),
      )
      if (mine.length === 0) return []
      // As X-Road: a service the client has a right on, with the endpoints its rights match
      // (none listed when it has a right but no described endpoint matches).
      const endpoints = endpointsOf(service).filter((endpoint) =>
        isAllowed(mine, {
          service: id,
          client: client.id,
          groups: client.groups,
          method: endpoint.method,
          path: endpoint.path,
        }),
      )
      return [describe(service, endpoints)]
    })
    return json(wrap(allowed))
  }
  const code = new URLSearchParams(query).get('serviceCode')
  if (code === null) throw new ExchangeError('InvalidRequest', 'getOpenAPI needs serviceCode')
  const service = services.find((candidate) => candidate.serviceCode === code)
  if (service === undefined) throw new ExchangeError('UnknownService', `no service ${code}`)
  const granted = service.rights.some(
    (right) =>
      right.client === client.id ||
      client.groups.some((group) => right.client === `group:${group}`),
  )
  if (!granted)
    throw new ExchangeError('AccessDenied', `${client.id} has no right on ${prefix}/${code}`)
  if (service.openapi === null)
    throw new ExchangeError('UnknownService', `${prefix}/${code} has no OpenAPI description`)
  return { contentType: 'application/json', body: service.openapi }
}

/**
 * Endpoints from the OpenAPI description's paths, path parameters as `*` (as X-Road lists
 * them); a service without a description lists none (its base endpoint is left out).
 */
function endpointsOf(service: ProvidedService): Endpoint[] {
  if (service.openapi === null) return []
  const document = JSON.parse(service.openapi) as {
    paths?: Record<string, Record<string, unknown>>
  }
  const verbs = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options']
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => verbs.includes(key))
      .map((key) => ({ method: key.toUpperCase(), path: path.replace(/\{[^/]*\}/g, '*') })),
  )
}

function json(value: unknown): { contentType: string; body: string } {
  return { contentType: 'application/json', body: JSON.stringify(value) }
}
