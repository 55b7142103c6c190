/**
 * `e-state demo e-id`: the e-ID desk's main flow against a running development node, as a
 * client would do it, over HTTP only. A demo resident gets an e-ID from the demo clerk for two
 * keys made here (they never leave this process), logs in with it (a Web eID token), opens
 * "my data" (read from the registers through the exchange as the state portal), and finds in
 * the data tracker the issuance by the clerk and the reads the page made, each with its ledger
 * receipt checked here against the log's and the witnesses' keys.
 */
import { parseCosignerVerifierKey, parseVerifierKey, verifyReceipt } from '../../ledger/index.ts'
import type { WalkthroughDeclaration, WalkthroughTarget } from '../../platform/index.ts'
import { demoHolder, demoStart } from './demo-client.ts'

/** How long the walkthrough waits for the ledger to cover the reads with a checkpoint. */
const RECEIPT_PATIENCE_MS = 30_000

export const EID_WALKTHROUGH: WalkthroughDeclaration = {
  name: 'e-id',
  summary:
    'get an e-ID at the demo desk, log in with it, open my data, and find each read in the data tracker with its ledger receipt',
  run: walkThrough,
}

interface Usage {
  readonly records: readonly {
    readonly at: string
    readonly agency: string
    readonly registry: string
    readonly purpose: string
    readonly ledger: { readonly index: number | null; readonly receipt: unknown }
  }[]
}

async function walkThrough({ url, say, args }: WalkthroughTarget): Promise<void> {
  const { resident, node } = demoStart(url, args)
  const name = `${resident.firstName} ${resident.lastName} (${resident.personalCode})`

  const { session } = await demoHolder(node, url, resident, say)

  say('3. "My data": the portal reads the registers through the exchange, as the state portal.')
  const page = await node.request('GET', '/my-data?lang=en', undefined, session)
  const html = await page.text()
  if (!html.includes(resident.lastName)) throw new Error('"my data" does not show the resident')
  say(`   The page shows the record of ${name}, from the population register and the others.`)

  say(
    '4. The data tracker: who read this data, when and why, once the ledger has proved each read.',
  )
  const started = Date.now()
  let usage: Usage = { records: [] }
  while (Date.now() - started < RECEIPT_PATIENCE_MS) {
    usage = (await node.json('GET', '/tracker/usage?limit=100', undefined, session)) as Usage
    if (usage.records.length > 0 && usage.records.every((record) => record.ledger.receipt !== null))
      break
    say(
      `   … ${usage.records.filter((record) => record.ledger.receipt !== null).length} of ${usage.records.length} reads proved so far`,
    )
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
  if (usage.records.length === 0) throw new Error('the tracker shows no reads of this resident')
  const keys = {
    log: parseVerifierKey((await node.text('/ledger/verifier-key')).trim()),
    witnesses: (await node.text('/ledger/witness-keys'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => parseCosignerVerifierKey(line)),
  }
  for (const record of usage.records) {
    const proof =
      record.ledger.receipt === null
        ? 'no receipt yet'
        : `receipt checked: entry ${verifyReceipt(record.ledger.receipt, keys).index} of the ledger`
    say(`   ${record.at}  ${record.agency}, ${record.registry}: ${record.purpose} — ${proof}`)
  }
  say('   (The keys came from the node itself; a verifier who does not trust it compares them with')
  say('   the published ones. `e-state ledger verify-receipt` checks a saved receipt offline.)')
  say(`Done. Do the same in the browser: ${url}/ (the front page offers the demo desk).`)
}
