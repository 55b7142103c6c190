/**
 * The state PKI's public services: CA certificates (`/trust/ca/<name>.crt`), CRLs
 * (`/trust/crl/<ca>.crl`), the OCSP responder (`/trust/ocsp`, RFC 6960 POST and GET) and the
 * time-stamping authority (`/trust/tsa`, RFC 3161 over HTTP). They speak DER, so they live in a
 * scope with their own body parsers; a body they cannot parse gets the protocol's own refusal.
 */
import type { FastifyInstance } from 'fastify'
import { TrustError } from './errors.ts'
import type { StatePki } from './pki.ts'

const MAX_REQUEST = 16_384
const CRL_SECONDS = 60

/** What the trust services' routes ask of the platform. */
export interface TrustNeeds {
  readonly pki: StatePki
}

export function registerTrustRoutes(app: FastifyInstance, platform: () => TrustNeeds): void {
  const crls = new Map<string, { bytes: Buffer; until: number }>()
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: MAX_REQUEST },
      (_req, body, done) => done(null, body),
    )

    scope.get(
      '/trust/ca/:file',
      {
        schema: {
          tags: ['Trust services'],
          summary:
            'A certificate of the state PKI (DER): root, citizen, eseal, tls, tsa, ocsp-<ca>',
        },
      },
      async (request, reply) => {
        const { file } = request.params as { file: string }
        const name = /^([a-z-]{2,20})\.(crt|cer|der)$/.exec(file)?.[1]
        const authority = name === undefined ? undefined : platform().pki.authorities.get(name)
        if (authority === undefined) throw new TrustError('TRUST_UNKNOWN_CA', 'no such certificate')
        return reply
          .type('application/pkix-cert')
          .header('cache-control', 'public, max-age=86400')
          .send(authority.certificate)
      },
    )

    scope.get(
      '/trust/crl/:file',
      {
        schema: {
          tags: ['Trust services'],
          summary: 'The CRL of an issuing CA (DER): citizen, eseal, tls',
        },
      },
      async (request, reply) => {
        const { file } = request.params as { file: string }
        const name = /^(citizen|eseal|tls)\.crl$/.exec(file)?.[1] as
          'citizen' | 'eseal' | 'tls' | undefined
        if (name === undefined) throw new TrustError('TRUST_UNKNOWN_CA', 'no such CRL')
        let cached = crls.get(name)
        if (cached === undefined || cached.until < Date.now()) {
          cached = { bytes: await platform().pki.crl(name), until: Date.now() + CRL_SECONDS * 1000 }
          crls.set(name, cached)
        }
        return reply
          .type('application/pkix-crl')
          .header('cache-control', `public, max-age=${CRL_SECONDS}`)
          .send(cached.bytes)
      },
    )

    const ocsp = async (body: Buffer) => platform().pki.ocsp.respond(body)
    scope.post(
      '/trust/ocsp',
      {
        schema: {
          tags: ['Trust services'],
          summary: 'OCSP (RFC 6960): application/ocsp-request in, application/ocsp-response out',
        },
      },
      async (request, reply) =>
        reply
          .type('application/ocsp-response')
          .header('cache-control', 'no-store')
          .send(await ocsp(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0))),
    )
    scope.get(
      '/trust/ocsp/*',
      {
        schema: {
          tags: ['Trust services'],
          summary: 'OCSP (RFC 6960 GET): the base64 request, URL-encoded, in the path',
        },
      },
      async (request, reply) => {
        const encoded = (request.params as { '*': string })['*']
        let body = Buffer.alloc(0)
        try {
          body =
            encoded.length <= MAX_REQUEST
              ? Buffer.from(decodeURIComponent(encoded), 'base64')
              : body
        } catch {
          // an undecodable path: answered as a malformed request
        }
        return reply
          .type('application/ocsp-response')
          .header('cache-control', 'no-store')
          .send(await ocsp(body))
      },
    )

    scope.post(
      '/trust/tsa',
      {
        schema: {
          tags: ['Trust services'],
          summary:
            'Time-stamping (RFC 3161): application/timestamp-query in, application/timestamp-reply out',
        },
      },
      async (request, reply) =>
        reply
          .type('application/timestamp-reply')
          .header('cache-control', 'no-store')
          .send(
            await platform().pki.tsa.stamp(
              Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
            ),
          ),
    )
  })
}
