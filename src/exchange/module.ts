/**
 * The exchange as a module: the node's gateway (`/r1/…`), metaservices, global configuration,
 * anchoring of standalone gateways' logs, and the GovStack management API; its tables, errors
 * and ledger kinds.
 */
import { defineModule } from '../platform/index.ts'
import { EXCHANGE_ERRORS } from './errors.ts'
import { exchangeMigration } from './migrations/0020-exchange.ts'
import type { ExchangeNeeds } from './routes.ts'

export const exchangeModule = defineModule<ExchangeNeeds>({
  name: 'exchange',
  summary: 'The data-exchange layer after X-Road: signed, access-checked, logged agency calls',
  // The routes load when the node registers them: a command or a worker thread that imports
  // this context does not load its HTTP side.
  routes: async (app, { platform }) => {
    ;(await import('./routes.ts')).registerExchangeRoutes(app, platform)
    ;(await import('./management-routes.ts')).registerExchangeManagementRoutes(app, platform)
  },
  // Agencies and member credentials came with 0001-foundation (the registries').
  migrations: [{ name: '0020-exchange', migration: exchangeMigration }],
  tables: [
    { name: 'agencies', notPersonalBecause: 'the state agencies and what they may read' },
    { name: 'member_credentials', notPersonalBecause: 'hashes of member API keys' },
    { name: 'exchange_subsystems', notPersonalBecause: "members' information systems" },
    { name: 'exchange_gateways', notPersonalBecause: 'gateways and their TLS certificates' },
    { name: 'exchange_groups', notPersonalBecause: 'global groups of subsystems' },
    {
      name: 'exchange_member_keys',
      encrypted: ['private_key'],
      notPersonalBecause: "members' e-seal keys",
    },
    { name: 'exchange_member_certificates', notPersonalBecause: "members' e-seal certificates" },
    { name: 'exchange_global_conf', notPersonalBecause: 'the signed global configuration' },
    { name: 'exchange_services', notPersonalBecause: 'services and their backends' },
    { name: 'exchange_access_rights', notPersonalBecause: 'who may call which service' },
    {
      name: 'exchange_message_log',
      encrypted: ['request_body', 'response_body'],
      notPersonalBecause:
        "evidence of each message: the acting official's code and sealed bodies, read only as the member's own evidence",
    },
  ],
  // Members' e-seal keys under the trust key (as the CA's); the message log under its own.
  dataKeys: ['trust', 'exchange'],
  errors: EXCHANGE_ERRORS,
  ledgerKinds: [
    { kind: 'exchange-message', description: "a message's log record, by its commitment" },
    { kind: 'exchange-right', description: 'an access right allowed or denied' },
    {
      kind: 'exchange-registry',
      description: 'a change of the central registry (members, services)',
    },
    { kind: 'exchange-anchor', description: "a batch of a standalone gateway's message log" },
    { kind: 'exchange-openapi', description: "a service's OpenAPI description replaced" },
  ],
})
