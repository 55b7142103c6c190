/**
 * The ledger as a module: the public log's routes (checkpoint, tiles, proofs, receipts, keys,
 * and this node's witness), its tables and its errors. It records no entries of its own: every
 * other module's acts come in through the recorder (`recorder.ts`).
 */
import { defineModule } from '../platform/index.ts'
import { LEDGER_ERRORS } from './errors.ts'
import { ledgerCheckpointsMigration } from './migrations/0008-ledger-checkpoints.ts'
import { ledgerTilesMigration } from './migrations/0010-ledger-tiles.ts'
import type { LedgerNeeds } from './routes.ts'

export const ledgerModule = defineModule<LedgerNeeds>({
  name: 'ledger',
  summary: 'The integrity ledger: an RFC 9162 Merkle log, cosigned by witnesses, anyone may audit',
  // The routes load when the node registers them: a command or a worker thread that imports
  // this context does not load its HTTP side.
  routes: async (app, { platform }) =>
    (await import('./routes.ts')).registerLedgerRoutes(app, platform),
  // The outbox and entries came with 0001-foundation (the registries').
  migrations: [
    { name: '0008-ledger-checkpoints', migration: ledgerCheckpointsMigration },
    { name: '0010-ledger-tiles', migration: ledgerTilesMigration },
  ],
  tables: [
    { name: 'ledger_outbox', notPersonalBecause: 'commitments only; written by the recorder' },
    { name: 'ledger_entries', notPersonalBecause: 'the public log: commitments and public facts' },
    { name: 'ledger_tile_hashes', notPersonalBecause: 'hashes of the public log' },
    { name: 'ledger_checkpoints', notPersonalBecause: 'signed tree heads' },
  ],
  errors: LEDGER_ERRORS,
})
