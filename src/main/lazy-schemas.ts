/**
 * Route schemas compiled when a route first needs them, not when the app is built.
 *
 * Fastify compiles every route's validators (Ajv) and response serializers
 * (fast-json-stringify) as it registers the route: for this state's few hundred routes about
 * two thirds of a second of each `createApp`, paid by every command that opens the node and by
 * every test app, which then call a handful of routes. Here the same compilers Fastify uses, with
 * the same options, compile each schema on its route's first request instead; `warm()` compiles
 * whatever is still waiting, which a serving node does before it is ready (`createApp`'s `warm`,
 * so production answers its first requests as before, and a schema that does not compile stops
 * the start) and `test/fuzz-routes.test.ts` does to prove every schema compiles. An app that is
 * not warmed meets such a schema at its route's first request instead (a 500).
 *
 * With a compiler factory of its own Fastify treats the validator as custom and leaves header
 * schemas as given instead of lower-casing their keys; a header schema that names a header with
 * capitals anywhere (a property, a `required` entry, at any depth) is refused here, at
 * registration, so that difference cannot bite.
 */
import AjvCompiler from '@fastify/ajv-compiler'
import SerializerSelector from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'

type Validate = ((data: unknown, context?: unknown) => unknown) & {
  errors?: unknown
  schemaEnv?: unknown
}
type Serialize = (data: unknown) => string
interface RouteSchema {
  readonly schema: unknown
  readonly method?: string
  readonly url?: string
  readonly httpPart?: string
}
/** Fastify's compiler factories: shared schemas and options in, a route's compiler out. */
type Factory<F> = (externalSchemas: unknown, options: unknown) => (route: RouteSchema) => F

export interface LazySchemas {
  readonly compilersFactory: NonNullable<
    NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
  >
  /** Compiles every schema not compiled yet; returns how many it compiled. */
  warm(): number
}

export function lazySchemas(): LazySchemas {
  const validators = AjvCompiler() as unknown as Factory<Validate>
  const serializers = SerializerSelector() as unknown as Factory<Serialize>
  const waiting = new Set<() => void>()

  /** `build` once, on first use or at `warm()`. */
  const once = <F>(build: () => F): (() => F) => {
    let built: F | undefined
    const get = (): F => {
      if (built === undefined) {
        built = build()
        waiting.delete(get)
      }
      return built
    }
    waiting.add(get)
    return get
  }

  return {
    compilersFactory: {
      buildValidator: (externalSchemas: unknown, ajvOptions: unknown) => {
        const compile = validators(externalSchemas, ajvOptions)
        return (route: RouteSchema) => {
          if (route.httpPart === 'headers') refuseCapitalHeaders(route)
          const compiled = once(() => compile(route))
          const validate: Validate = (data, context) => {
            const fn = compiled()
            // Ajv's functions take the parent as context, so they may coerce a root value.
            const result = fn(data, context)
            validate.errors = fn.errors
            return result
          }
          // Fastify passes that context only to a function with this property, as Ajv's have.
          validate.schemaEnv = true
          return validate
        }
      },
      buildSerializer: (externalSchemas: unknown, options: unknown) => {
        const compile = serializers(externalSchemas, options)
        return (route: RouteSchema) => {
          const compiled = once(() => compile(route))
          return (data: unknown) => compiled()(data)
        }
      },
    } as unknown as LazySchemas['compilersFactory'],
    warm() {
      let count = 0
      for (const build of [...waiting]) {
        build()
        count++
      }
      return count
    },
  }
}

function refuseCapitalHeaders(route: RouteSchema): void {
  const capital = capitalName(route.schema)
  if (capital !== undefined)
    throw new TypeError(
      `${route.method} ${route.url}: header schema key "${capital}" must be lower case`,
    )
}

/** A header name with capitals among the schema's properties or `required`, at any depth. */
function capitalName(schema: unknown): string | undefined {
  if (Array.isArray(schema)) {
    for (const item of schema) {
      const found = capitalName(item)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof schema !== 'object' || schema === null) return undefined
  const { properties, required } = schema as { properties?: unknown; required?: unknown }
  const names = [
    ...(typeof properties === 'object' && properties !== null ? Object.keys(properties) : []),
    ...(Array.isArray(required) ? required.filter((name) => typeof name === 'string') : []),
  ]
  const capital = names.find((name) => name !== name.toLowerCase())
  if (capital !== undefined) return capital
  for (const value of Object.values(schema)) {
    const found = capitalName(value)
    if (found !== undefined) return found
  }
  return undefined
}
