/**
 * `e-state exchange`: the operator's side of the exchange on this node.
 *
 *   rights list [--service S]                 access rights on provided services
 *   rights allow|deny SERVICE CLIENT [--method M] [--path P]
 *                                             as the provider (logged in the ledger)
 *   groups add|remove GROUP SUBSYSTEM         global groups (the next configuration carries them)
 *   gateways list | gateways add ID --member M --address URL --tls-certificate FILE --serves M1,M2
 *                                             register a standalone gateway in the central registry
 *   member-certificates add MEMBER FILE       a signing certificate of a member whose key is elsewhere
 *   anchor [--out FILE]                       the central signing certificate (PEM) gateways trust
 *   evidence LOG_ID [--out FILE]              signed evidence of one message
 *   verify-evidence FILE [--ca FILE]... [--log-key VKEY] [--witness-key VKEY]...
 *                                             offline: signatures, binding, ledger receipt
 */
import { X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  allowRight,
  denyRight,
  exportEvidence,
  listRights,
  recordExchangeAct,
  validClient,
  type RightChange,
  verifyEvidence,
} from '../exchange/index.ts'
import { parseCosignerVerifierKey, parseVerifierKey, verifyReceipt } from '../ledger/index.ts'
import { createApp, MIGRATIONS, readConfig } from '../main/index.ts'
import { systemClock } from '../shared/index.ts'
import { openStore } from '../storage/index.ts'
import { ledgerKeys } from './ledger-command.ts'
import { authorityCertificates } from './trust-store.ts'

const USAGE = `usage: e-state exchange rights list [--service S]
       e-state exchange gateways list | gateways add ID --member M --address URL --tls-certificate FILE --serves M1,M2
       e-state exchange member-certificates add MEMBER FILE
       e-state exchange anchor [--out FILE]
       e-state exchange rights allow|deny SERVICE CLIENT [--method M] [--path P]
       e-state exchange groups add|remove GROUP SUBSYSTEM
       e-state exchange evidence LOG_ID [--out FILE]
       e-state exchange verify-evidence FILE [--ca FILE]... [--log-key VKEY] [--witness-key VKEY]...`

export async function runExchange(args: string[]): Promise<number> {
  const [area, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      service: { type: 'string' },
      method: { type: 'string' },
      path: { type: 'string' },
      out: { type: 'string' },
      ca: { type: 'string', multiple: true },
      'log-key': { type: 'string' },
      'witness-key': { type: 'string', multiple: true },
      member: { type: 'string' },
      address: { type: 'string' },
      'tls-certificate': { type: 'string' },
      serves: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  if (area === 'verify-evidence' && positionals.length === 1)
    return verifyEvidenceFile(positionals[0], values)
  if (area === 'evidence' && positionals.length === 1 && /^\d{1,15}$/.test(positionals[0]))
    return writeEvidence(Number(positionals[0]), values.out)
  if (area === 'rights' || area === 'groups') return manage(area, positionals, values)
  if (area === 'gateways' || area === 'member-certificates' || area === 'anchor')
    return registry(area, positionals, values)
  process.stderr.write(`${USAGE}\n`)
  return 2
}

async function manage(
  area: 'rights' | 'groups',
  positionals: string[],
  values: { service?: string; method?: string; path?: string },
): Promise<number> {
  const [action, first, second] = positionals
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
    const { db } = store
    if (area === 'rights' && action === 'list' && positionals.length === 1) {
      let after = 0
      for (;;) {
        const page = await listRights(
          db,
          values.service === undefined ? {} : { service: values.service },
          { after, size: 500 },
        )
        for (const right of page.rights)
          process.stdout.write(
            `${right.service}  ${right.client}  ${right.method} ${right.path}  (${right.grantedBy}, ${right.grantedAt})\n`,
          )
        if (page.next === undefined) break
        after = page.next
      }
      return 0
    }
    if (area === 'rights' && (action === 'allow' || action === 'deny') && second !== undefined) {
      const right = {
        service: first,
        client: second,
        method: values.method ?? '*',
        path: values.path ?? '/**',
      }
      const exists = await db
        .selectFrom('exchange_services')
        .select('service_id')
        .where('service_id', '=', first)
        .executeTakeFirst()
      if (exists === undefined) {
        process.stderr.write(`e-state exchange: no service ${first} on this node\n`)
        return 1
      }
      const changed: RightChange[] =
        action === 'allow'
          ? [await allowRight(db, systemClock, right, 'operator')].filter(
              (made) => made !== undefined,
            )
          : await denyRight(
              db,
              values.method === undefined && values.path === undefined
                ? { service: first, client: second }
                : right,
              'operator',
            )
      for (const change of changed)
        await recordExchangeAct(db, 'exchange-right', { ...change }, new Date())
      process.stdout.write(
        `${action === 'allow' ? 'allowed' : 'withdrew'} ${changed.length} right(s)\n`,
      )
      return 0
    }
    if (area === 'groups' && (action === 'add' || action === 'remove') && second !== undefined) {
      if (
        !/^[A-Za-z0-9._-]{1,255}$/.test(first) ||
        !validClient(second) ||
        second.startsWith('group:')
      ) {
        process.stderr.write(
          'e-state exchange groups: GROUP is a code, SUBSYSTEM an INSTANCE/CLASS/MEMBER/SUBSYSTEM\n',
        )
        return 2
      }
      if (action === 'add')
        await db
          .insertInto('exchange_groups')
          .values({ group_code: first, subsystem_id: second })
          .onConflict((conflict) => conflict.columns(['group_code', 'subsystem_id']).doNothing())
          .execute()
      else
        await db
          .deleteFrom('exchange_groups')
          .where('group_code', '=', first)
          .where('subsystem_id', '=', second)
          .execute()
      await recordExchangeAct(
        db,
        'exchange-registry',
        { act: `group-${action}`, group: first, subsystem: second, by: 'operator' },
        new Date(),
      )
      process.stdout.write(
        `group ${first}: ${action === 'add' ? 'added' : 'removed'} ${second} (in the next global configuration)\n`,
      )
      return 0
    }
    process.stderr.write(`${USAGE}\n`)
    return 2
  } finally {
    await store.close()
  }
}

async function writeEvidence(logId: number, out: string | undefined): Promise<number> {
  const app = await createApp(readConfig(), { drainIntervalMs: 0 })
  try {
    await app.start()
    const platform = app.platform()
    // Anchor what the outbox still holds, so the receipt can cover this record.
    while ((await platform.ledger.drainOnce()) > 0);
    await platform.ledger.publish()
    const evidence = await exportEvidence(
      {
        db: platform.store.db,
        envelope: platform.envelope,
        tree: platform.ledger.tree,
        configuration: platform.exchange.configuration(),
        keyOf: (member) => platform.exchange.signerOf(member),
        now: platform.clock.now(),
      },
      logId,
    )
    const text = `${JSON.stringify(evidence, null, 2)}\n`
    if (out === undefined) process.stdout.write(text)
    else {
      writeFileSync(out, text, { flag: 'wx' })
      process.stdout.write(`evidence of message ${evidence.record.messageId} written to ${out}\n`)
    }
    return 0
  } finally {
    await app.close()
  }
}

async function verifyEvidenceFile(
  file: string,
  values: { ca?: string[]; 'log-key'?: string; 'witness-key'?: string[] },
): Promise<number> {
  let input: unknown
  try {
    input = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    process.stderr.write(
      `e-state exchange verify-evidence: cannot read ${file}: ${(error as Error).message}\n`,
    )
    return 1
  }
  const cas =
    values.ca === undefined
      ? await nodeCas()
      : values.ca.map((path) => new X509Certificate(readFileSync(path)))
  const verified = verifyEvidence(input, cas)
  const checkReceipt = (receipt: unknown) => {
    const { logKey, witnessTexts } = ledgerKeys(values['log-key'], values['witness-key'])
    const checked = verifyReceipt(receipt, {
      log: parseVerifierKey(logKey),
      witnesses: witnessTexts.map((text) => parseCosignerVerifierKey(text)),
    })
    return `anchored in ${checked.origin} at entry ${checked.index}, cosigned by ${checked.cosignedBy.map((c) => c.name).join(', ') || 'no witness'}`
  }
  const { receipt, anchor } = input as {
    receipt?: unknown
    anchor?: { batch: { sequence: number; gateway: string }; receipt?: unknown }
  }
  let anchored = 'not yet anchored in the ledger (no receipt)'
  if (receipt !== null && receipt !== undefined) anchored = checkReceipt(receipt)
  else if (anchor !== undefined)
    anchored = `in batch ${anchor.batch.sequence} of ${anchor.batch.gateway} (its inclusion proof and signature checked), ${
      anchor.receipt === null || anchor.receipt === undefined
        ? 'the batch not yet in a published checkpoint'
        : `the batch ${checkReceipt(anchor.receipt)}`
    }`
  process.stdout.write(
    `evidence verified: ${verified.method} ${verified.service}${verified.path} by ${verified.client} (message ${verified.messageId}, status ${verified.status}), signed by both members, issued by ${verified.issuer}; ${anchored}\n`,
  )
  return 0
}

/** This node's root and e-seal CAs (member and issuer certificates are e-seals). */
async function nodeCas(): Promise<X509Certificate[]> {
  const certificates = await authorityCertificates(readConfig(), ['root', 'eseal'])
  return [...certificates.values()].map((der) => new X509Certificate(der))
}

/** The central registry's side: gateways, members' certificates, the anchor. */
async function registry(
  area: 'gateways' | 'member-certificates' | 'anchor',
  positionals: string[],
  values: {
    member?: string
    address?: string
    'tls-certificate'?: string
    serves?: string
    out?: string
  },
): Promise<number> {
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
    const { db } = store
    const now = new Date().toISOString()
    const pem = (path: string) => new X509Certificate(readFileSync(path))
    if (area === 'anchor' && positionals.length === 0) {
      const central = await db
        .selectFrom('exchange_member_keys')
        .select('certificate')
        .where('member_id', '=', '#central')
        .executeTakeFirst()
      if (central === undefined) {
        process.stderr.write(
          'e-state exchange anchor: start the node once to make the central key\n',
        )
        return 1
      }
      const text = new X509Certificate(Buffer.from(central.certificate)).toString()
      if (values.out === undefined) process.stdout.write(text)
      else writeFileSync(values.out, text)
      return 0
    }
    if (area === 'gateways' && positionals[0] === 'list' && positionals.length === 1) {
      for (const row of await db.selectFrom('exchange_gateways').selectAll().execute())
        process.stdout.write(`${row.gateway_id}  ${row.address}  serves ${row.serves}\n`)
      return 0
    }
    if (
      area === 'gateways' &&
      positionals[0] === 'add' &&
      positionals.length === 2 &&
      values.member !== undefined &&
      values.address !== undefined &&
      values['tls-certificate'] !== undefined &&
      values.serves !== undefined
    ) {
      const address = new URL(values.address)
      if (address.protocol !== 'https:') {
        process.stderr.write('e-state exchange gateways: the address must be https://\n')
        return 2
      }
      await db
        .insertInto('exchange_gateways')
        .values({
          gateway_id: positionals[1],
          member_id: values.member,
          address: address.origin,
          tls_certificate: pem(values['tls-certificate']).raw,
          serves: values.serves,
          created_at: now,
        })
        .execute()
      await recordExchangeAct(
        db,
        'exchange-registry',
        {
          act: 'gateway-add',
          gateway: positionals[1],
          member: values.member,
          address: address.origin,
          serves: values.serves,
          by: 'operator',
        },
        new Date(),
      )
      process.stdout.write(
        `gateway ${positionals[1]} registered (in the next global configuration)\n`,
      )
      return 0
    }
    if (area === 'member-certificates' && positionals[0] === 'add' && positionals.length === 3) {
      await db
        .insertInto('exchange_member_certificates')
        .values({ member_id: positionals[1], certificate: pem(positionals[2]).raw, added_at: now })
        .execute()
      await recordExchangeAct(
        db,
        'exchange-registry',
        {
          act: 'member-certificate-add',
          member: positionals[1],
          certificate: pem(positionals[2]).fingerprint256,
          by: 'operator',
        },
        new Date(),
      )
      process.stdout.write(`signing certificate of ${positionals[1]} registered\n`)
      return 0
    }
    process.stderr.write(`${USAGE}\n`)
    return 2
  } finally {
    await store.close()
  }
}
