/**
 * The data tracker's page: who read the logged-in person's data, when and why, newest first,
 * read without script; the script checks each receipt in the browser against the log's and
 * the witnesses' keys (the same code as `e-state ledger verify-receipt`).
 */
import { join } from 'node:path'
import { portalCallerOf, type CallerNeeds } from '../exchange/index.ts'
import { requireSession, type SessionNeeds } from '../identity/index.ts'
import type { PageDeclaration, TextCatalogue } from '../platform/index.ts'
import type { Tracker } from './tracker.ts'

export type TrackerPageNeeds = SessionNeeds & CallerNeeds

type Key =
  | 'lead'
  | 'proofsPending'
  | 'proofsSummary'
  | 'verified'
  | 'failed'
  | 'caption'
  | 'when'
  | 'official'
  | 'agency'
  | 'data'
  | 'purpose'
  | 'proof'
  | 'receipt'
  | 'pending'
  | 'empty'
  | 'previous'
  | 'next'

const TEXTS: TextCatalogue<Key> = {
  et: {
    lead: 'Iga kord, kui ametnik või asutus sinu andmeid loeb, jääb siia jälg: kes, millal ja miks. Iga kirje tõestus on riigi tervikluslogis.',
    proofsPending: 'Tõestusi kontrollitakse sinu brauseris…',
    proofsSummary: '{verified} kirje tõestust kontrolliti sinu brauseris; {failed} ei läinud läbi.',
    verified: 'kontrollitud',
    failed: 'EI KEHTI',
    caption: 'Sinu andmete kasutamine ({total} kirjet)',
    when: 'Millal',
    official: 'Kes',
    agency: 'Asutus',
    data: 'Andmed',
    purpose: 'Põhjus',
    proof: 'Tõestus',
    receipt: 'kviitung',
    pending: 'ootel',
    empty: 'Sinu andmeid ei ole veel keegi lugenud.',
    previous: 'Uuemad',
    next: 'Vanemad',
  },
  en: {
    lead: 'Each time an official or agency reads your data, it leaves a trace here: who, when and why. The proof of each record is in the state integrity ledger.',
    proofsPending: 'Checking the proofs in your browser…',
    proofsSummary:
      '{verified} records proved in the ledger, checked in your browser; {failed} failed.',
    verified: 'verified',
    failed: 'FAILED',
    caption: 'Use of your data ({total} records)',
    when: 'When',
    official: 'Who',
    agency: 'Agency',
    data: 'Data',
    purpose: 'Why',
    proof: 'Proof',
    receipt: 'receipt',
    pending: 'pending',
    empty: 'Nobody has read your data yet.',
    previous: 'Newer',
    next: 'Older',
  },
  ru: {
    lead: 'Каждый раз, когда чиновник или ведомство читает ваши данные, здесь остаётся след: кто, когда и зачем. Доказательство каждой записи — в государственном журнале целостности.',
    proofsPending: 'Доказательства проверяются в вашем браузере…',
    proofsSummary:
      '{verified} записей подтверждено журналом и проверено в браузере; {failed} не прошли.',
    verified: 'проверено',
    failed: 'НЕ ПРОШЛО',
    caption: 'Использование ваших данных ({total} записей)',
    when: 'Когда',
    official: 'Кто',
    agency: 'Ведомство',
    data: 'Данные',
    purpose: 'Зачем',
    proof: 'Доказательство',
    receipt: 'квитанция',
    pending: 'ожидает',
    empty: 'Ваши данные ещё никто не читал.',
    previous: 'Новее',
    next: 'Старше',
  },
}

const PAGE = 25

/** `?page=`: a decimal number from 1 to 10 000, else the first page. */
function pageAsked(asked: unknown): number {
  return typeof asked === 'string' && /^[1-9][0-9]{0,4}$/.test(asked)
    ? Math.min(Number(asked), 10_000)
    : 1
}

export const TRACKER_PAGES: readonly PageDeclaration<TrackerPageNeeds, Tracker>[] = [
  {
    path: '/tracker',
    title: { et: 'Andmejälgija', en: 'Data tracker', ru: 'Трекер данных' },
    description: {
      et: 'Kes, millal ja miks sinu andmeid vaatas — iga kirje tõestatud riigi logis.',
      en: 'Who looked at your data, when and why — each record proved in the state ledger.',
      ru: 'Кто, когда и зачем смотрел ваши данные — каждая запись подтверждена журналом.',
    },
    audience: 'resident',
    listed: true,
    templates: join(import.meta.dirname, 'pages'),
    async render({ request, language, platform, runtime }) {
      const session = await requireSession(request, platform())
      let page = pageAsked((request.query as { page?: unknown }).page)
      // The tracker the module's `open` made, as the routes use it.
      const tracker = runtime()
      const caller = await portalCallerOf(session.personalCode, platform())
      const usage = () =>
        tracker.usage(caller, `EE${session.personalCode}`, {
          offset: (page - 1) * PAGE,
          limit: PAGE,
        })
      let list = await usage()
      // A page past the end (an old link, a number typed in) shows the last page: an empty one
      // would tell the person that nobody has read their data.
      const last = Math.max(1, Math.ceil(list.total / PAGE))
      if (page > last) {
        page = last
        list = await usage()
      }
      const x = TEXTS[language]
      const when = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' })
      const pages = Math.ceil(list.total / PAGE)
      return {
        template: 'tracker/index.njk',
        browserScript: true,
        context: {
          x,
          total: list.total,
          rows: list.records.map((record) => ({
            at: record.at,
            when: when.format(new Date(record.at)),
            official: record.official,
            agency: record.agency,
            data: record.data,
            purpose: record.purpose,
            index: record.ledger.index,
            receipt:
              record.ledger.receipt === null ? undefined : JSON.stringify(record.ledger.receipt),
          })),
          pagination:
            pages <= 1
              ? undefined
              : {
                  ...(page > 1
                    ? { previous: { href: `/tracker?page=${page - 1}`, labelText: x.previous } }
                    : {}),
                  ...(page < pages
                    ? { next: { href: `/tracker?page=${page + 1}`, labelText: x.next } }
                    : {}),
                },
        },
      }
    },
  },
]
