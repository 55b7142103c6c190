/**
 * What the portal's pages do with script, each found by its element ids (a page without them
 * is left alone): the demo desk (development only), the tracker's receipts checked here,
 * signing with the e-ID held in this browser, and validating a container. Each page reads
 * without script; the script only adds what needs the browser's keys or its crypto.
 */
import type { CosignerVerifier, NoteVerifier, Receipt } from '../../ledger/browser.ts'
import { base64, createEid, fromBase64, installEid, loadEid, signWith } from './eid.ts'

interface Tools {
  readonly trustedKeys: () => Promise<TrustedKeys>
  readonly checkReceipt: (receipt: unknown, keys: TrustedKeys) => boolean
  readonly post: (path: string, body?: unknown) => Promise<Response>
}

interface TrustedKeys {
  readonly log: NoteVerifier
  readonly witnesses: CosignerVerifier[]
}

const byId = <T extends HTMLElement>(id: string): T | null =>
  document.getElementById(id) as T | null

/** Sets a status line's text (a `role="status"` element: screen readers announce it). */
function say(id: string, text: string): void {
  const element = byId(id)
  if (element !== null) element.textContent = text
}

async function problemOf(reply: Response): Promise<string> {
  try {
    const body = (await reply.json()) as { code?: string; detail?: string }
    return `${body.code ?? reply.status}: ${body.detail ?? ''}`
  } catch {
    return `HTTP ${reply.status}`
  }
}

export function wirePages(tools: Tools): void {
  wireDemoDesk(tools)
  wireTrackerPage(tools)
  wireSigning(tools)
  wireValidation()
}

/** The demo desk: keys made here, certificates issued by the demo clerk, installed here. */
function wireDemoDesk(tools: Tools): void {
  const form = byId<HTMLFormElement>('demo-eid-form')
  if (form === null) return
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const resident = new FormData(form).get('resident')
    if (typeof resident !== 'string' || resident === '') return
    say('demo-status', form.dataset.working ?? '…')
    void (async () => {
      const request = await createEid(resident)
      const reply = await tools.post('/dev/desk/issue', { personalCode: resident, ...request })
      if (!reply.ok) throw new Error(await problemOf(reply))
      const issued = (await reply.json()) as {
        auth: { certificate: string }
        sign: { certificate: string }
      }
      await installEid({ auth: issued.auth.certificate, sign: issued.sign.certificate })
      say('demo-status', form.dataset.done ?? 'done')
      byId('demo-next')?.removeAttribute('hidden')
    })().catch((error: Error) =>
      say('demo-status', `${form.dataset.failed ?? ''} ${error.message}`),
    )
  })
}

/** The tracker page: each record's receipt, embedded in its row, checked against the log's keys. */
function wireTrackerPage(tools: Tools): void {
  const rows = [...document.querySelectorAll<HTMLElement>('tr[data-receipt]')]
  const summary = byId('tracker-proofs')
  if (summary === null) return
  void (async () => {
    const keys = await tools.trustedKeys()
    let verified = 0
    let failed = 0
    for (const row of rows) {
      const ok = tools.checkReceipt(JSON.parse(row.dataset.receipt ?? 'null') as Receipt, keys)
      if (ok) verified++
      else failed++
      const cell = row.querySelector('.proof')
      if (cell !== null) {
        cell.textContent = ok
          ? (summary.dataset.verified ?? 'verified')
          : (summary.dataset.failed ?? 'FAILED')
        cell.className = `govuk-table__cell proof ${ok ? 'verified' : 'FAILED'}`
      }
    }
    summary.textContent = (summary.dataset.template ?? '{verified} / {failed}')
      .replace('{verified}', String(verified))
      .replace('{failed}', String(failed))
  })().catch((error: Error) => (summary.textContent = error.message))
}

const readFile = (file: File): Promise<string> =>
  file.arrayBuffer().then((buffer) => base64(new Uint8Array(buffer)))

/** Signing: the documents prepared on the server, signed here with the e-ID's signing key. */
function wireSigning(tools: Tools): void {
  const form = byId<HTMLFormElement>('sign-form')
  if (form === null) return
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const files = [...(byId<HTMLInputElement>('sign-files')?.files ?? [])]
    if (files.length === 0) return say('sign-status', form.dataset.noFiles ?? '')
    say('sign-status', form.dataset.working ?? '…')
    void (async () => {
      const eid = await loadEid()
      if (eid?.signKeys === undefined || eid.signCertificate === undefined)
        throw new Error(form.dataset.noEid ?? 'no e-ID signing key in this browser')
      const documents = await Promise.all(
        files.map(async (file) => ({
          name: file.name,
          mediaType: file.type === '' ? 'application/octet-stream' : file.type,
          content: await readFile(file),
        })),
      )
      const prepared = await tools.post('/signatures/prepare', {
        certificate: eid.signCertificate,
        documents,
      })
      if (!prepared.ok) throw new Error(await problemOf(prepared))
      const { id, dataToSign } = (await prepared.json()) as { id: string; dataToSign: string }
      const signatureValue = await signWith(eid.signKeys.privateKey, fromBase64(dataToSign))
      const finished = await tools.post('/signatures/finalize', { id, signatureValue })
      if (!finished.ok) throw new Error(await problemOf(finished))
      const container = await finished.blob()
      const link = byId<HTMLAnchorElement>('sign-download')
      if (link !== null) {
        link.href = URL.createObjectURL(container)
        link.download = `${files[0].name.replace(/\.[^.]*$/, '')}.asice`
        link.hidden = false
      }
      say('sign-status', form.dataset.done ?? 'signed')
    })().catch((error: Error) =>
      say('sign-status', `${form.dataset.failed ?? ''} ${error.message}`),
    )
  })
}

/** Validation: the container sent to the public validation service, its conclusion shown. */
function wireValidation(): void {
  const form = byId<HTMLFormElement>('validate-form')
  if (form === null) return
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const file = byId<HTMLInputElement>('validate-file')?.files?.[0]
    if (file === undefined) return say('validate-status', form.dataset.noFile ?? '')
    say('validate-status', form.dataset.working ?? '…')
    void (async () => {
      const reply = await fetch('/signatures/validate', {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.etsi.asic-e+zip' },
        body: file,
      })
      if (!reply.ok) throw new Error(await problemOf(reply))
      const { validationReport } = (await reply.json()) as {
        validationReport: {
          validationConclusion: {
            signaturesCount: number
            validSignaturesCount: number
            signatures: { signedBy: string; indication: string; claimedSigningTime: string }[]
          }
        }
      }
      const conclusion = validationReport.validationConclusion
      const list = byId('validate-signatures')
      list?.replaceChildren(
        ...conclusion.signatures.map((signature) => {
          const item = document.createElement('li')
          item.textContent = `${signature.signedBy} — ${signature.indication} (${signature.claimedSigningTime})`
          item.dataset.indication = signature.indication
          return item
        }),
      )
      say(
        'validate-status',
        (form.dataset.result ?? '{valid} / {count}')
          .replace('{valid}', String(conclusion.validSignaturesCount))
          .replace('{count}', String(conclusion.signaturesCount)),
      )
    })().catch((error: Error) =>
      say('validate-status', `${form.dataset.failed ?? ''} ${error.message}`),
    )
  })
}
