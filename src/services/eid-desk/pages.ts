/**
 * The e-ID desk's portal pages: the clerk's issuance form (`/desk/eid`: the resident's
 * personal code, the identity document checked, the key request their card or token made) and
 * the demo desk of development (`/dev/desk`).
 */
import { join } from 'node:path'
import {
  textsOf,
  type Language,
  type PageDeclaration,
  type TextCatalogue,
} from '../../platform/index.ts'
import { openDeskVisit, residentFields } from '../desk/index.ts'
import { DEMO_RESIDENTS } from './demo-desk.ts'
import { ISSUE_EID, issueAtDesk, provenKeys, type EidDeskNeeds } from './routes.ts'

const TEMPLATES = join(import.meta.dirname, 'pages')

type Key =
  | 'demoWarning'
  | 'warning'
  | 'demoLead'
  | 'needsScript'
  | 'chooseResident'
  | 'getEid'
  | 'working'
  | 'done'
  | 'failed'
  | 'nextLogin'
  | 'issueLead'
  | 'residentCode'
  | 'residentHint'
  | 'documentChecked'
  | 'keyRequest'
  | 'keyRequestHint'
  | 'issue'
  | 'issuedTitle'
  | 'issuedFor'
  | 'issuedRecorded'
  | 'another'
  | 'authCertificate'
  | 'signCertificate'
  | 'codeInvalid'
  | 'mustCheck'
  | 'requestInvalid'

export const EID_DESK_TEXTS: TextCatalogue<Key> = {
  et: {
    demoWarning: 'Ainult arenduskeskkonnas: päris riigis saab ID-kaardi teeninduses.',
    warning: 'Hoiatus',
    demoLead:
      'Vali demoelanik. Sinu brauser loob kaks võtit, mis sealt kunagi ei lahku, ja demoametnik väljastab neile sertifikaadid nagu teeninduses.',
    needsScript: 'Võtmed luuakse brauseris: selleks on vaja JavaScripti.',
    chooseResident: 'Kellele e-ID väljastada?',
    getEid: 'Väljasta demo-e-ID',
    working: 'Loon võtmeid ja väljastan sertifikaate…',
    done: 'Valmis: see brauser hoiab nüüd e-ID-d.',
    failed: 'Ei õnnestunud:',
    nextLogin: 'Logi sisse oma uue e-ID-ga',
    issueLead:
      'Tuvasta elanik isikut tõendava dokumendi järgi. Kaardi või tarkvaratõendi loodud võtmepäringule väljastatakse autentimis- ja allkirjastamissertifikaat.',
    residentCode: 'Elaniku isikukood',
    residentHint: '11 numbrit, näiteks 38001085718',
    documentChecked: 'Olen elaniku isikut tõendava dokumendi üle kontrollinud',
    keyRequest: 'Võtmepäring',
    keyRequestHint: 'Kaardi või tõendi loodud JSON: auth ja sign, kummalgi publicKey ja proof.',
    issue: 'Väljasta e-ID',
    issuedTitle: 'e-ID väljastatud',
    issuedFor: 'Elanikule',
    issuedRecorded:
      'Toiming on kantud riigi tervikluslogisse ja elaniku andmejälgijasse koos sinu nimega.',
    another: 'Teeninda järgmist elanikku',
    authCertificate: 'Autentimissertifikaat',
    signCertificate: 'Allkirjastamissertifikaat',
    codeInvalid: 'Sisesta kehtiv 11-kohaline isikukood',
    mustCheck: 'Kontrolli enne väljastamist elaniku dokumenti',
    requestInvalid: 'Võtmepäring ei ole loetav või selle võtmed ei ole tõestatud',
  },
  en: {
    demoWarning: 'Development only: in a real country you get an e-ID at a service desk.',
    warning: 'Warning',
    demoLead:
      'Choose a demo resident. Your browser makes two keys, which never leave it, and the demo clerk issues certificates for them as at a service desk.',
    needsScript: 'The keys are made in your browser: this needs JavaScript.',
    chooseResident: 'Who gets the e-ID?',
    getEid: 'Get a demo e-ID',
    working: 'Making keys and issuing certificates…',
    done: 'Done: this browser now holds an e-ID.',
    failed: 'It did not work:',
    nextLogin: 'Log in with your new e-ID',
    issueLead:
      'Identify the resident by their identity document. The authentication and signing certificates are issued for the key request their card or software token made.',
    residentCode: "Resident's personal code",
    residentHint: '11 digits, for example 38001085718',
    documentChecked: "I have checked the resident's identity document",
    keyRequest: 'Key request',
    keyRequestHint:
      'The JSON the card or token made: auth and sign, each with publicKey and proof.',
    issue: 'Issue the e-ID',
    issuedTitle: 'e-ID issued',
    issuedFor: 'For resident',
    issuedRecorded:
      "The act is in the state's integrity ledger and in the resident's data tracker, with your name.",
    another: 'Serve the next resident',
    authCertificate: 'Authentication certificate',
    signCertificate: 'Signing certificate',
    codeInvalid: 'Enter a valid 11-digit personal code',
    mustCheck: "Check the resident's identity document before issuing",
    requestInvalid: 'The key request cannot be read, or its keys are not proved',
  },
  ru: {
    demoWarning: 'Только в среде разработки: в настоящей стране e-ID выдают в бюро обслуживания.',
    warning: 'Предупреждение',
    demoLead:
      'Выберите демо-жителя. Ваш браузер создаст два ключа, которые никогда его не покинут, а демо-служащий выдаст для них сертификаты, как в бюро обслуживания.',
    needsScript: 'Ключи создаются в браузере: для этого нужен JavaScript.',
    chooseResident: 'Кому выдать e-ID?',
    getEid: 'Получить демо-e-ID',
    working: 'Создаю ключи и выдаю сертификаты…',
    done: 'Готово: теперь в этом браузере есть e-ID.',
    failed: 'Не получилось:',
    nextLogin: 'Войти с новым e-ID',
    issueLead:
      'Установите личность жителя по документу. Сертификаты аутентификации и подписи выдаются для запроса ключей, созданного его картой или программным токеном.',
    residentCode: 'Личный код жителя',
    residentHint: '11 цифр, например 38001085718',
    documentChecked: 'Я проверил(а) документ, удостоверяющий личность жителя',
    keyRequest: 'Запрос ключей',
    keyRequestHint: 'JSON, созданный картой или токеном: auth и sign, у каждого publicKey и proof.',
    issue: 'Выдать e-ID',
    issuedTitle: 'e-ID выдан',
    issuedFor: 'Жителю',
    issuedRecorded:
      'Действие внесено в государственный журнал целостности и в трекер данных жителя, с вашим именем.',
    another: 'Обслужить следующего жителя',
    authCertificate: 'Сертификат аутентификации',
    signCertificate: 'Сертификат подписи',
    codeInvalid: 'Введите действительный 11-значный личный код',
    mustCheck: 'Перед выдачей проверьте документ жителя',
    requestInvalid: 'Запрос ключей не читается или его ключи не подтверждены',
  },
}

const both = (key: Key) => textsOf(EID_DESK_TEXTS, key)

export const EID_DESK_PAGES: readonly PageDeclaration<EidDeskNeeds>[] = [
  {
    path: '/dev/desk',
    title: { et: 'Demo-e-ID', en: 'Get a demo e-ID', ru: 'Демо-e-ID' },
    description: {
      et: 'Arenduses: demoametnik väljastab sinu brauserile e-ID, et saaksid kohe sisse logida.',
      en: 'In development: the demo clerk issues your browser an e-ID, so you can log in at once.',
      ru: 'В разработке: демо-служащий выдаст вашему браузеру e-ID, чтобы сразу войти.',
    },
    audience: 'public',
    listed: true,
    developmentOnly: true,
    templates: TEMPLATES,
    render: async ({ language }) => demoView(language, false),
    // Without script the form posts here: the keys can only be made in the browser.
    submit: async ({ language }) => demoView(language, true),
  },
  {
    path: '/desk/eid',
    title: { et: 'e-ID väljastamine', en: 'Issue an e-ID', ru: 'Выдача e-ID' },
    audience: 'clerk',
    templates: TEMPLATES,
    async render({ language }) {
      return {
        template: 'eid-desk/issue.njk',
        context: { x: EID_DESK_TEXTS[language], values: {} },
      }
    },
    async submit({ request, language, platform, validate }) {
      const x = EID_DESK_TEXTS[language]
      const checked = validate({
        ...residentFields(EID_DESK_TEXTS),
        keyRequest: {
          label: both('keyRequest'),
          required: true,
          maxLength: 4000,
          check: (value) => (keyRequestOf(value) === undefined ? 'KEY_REQUEST_INVALID' : undefined),
          messages: { KEY_REQUEST_INVALID: both('requestInvalid') },
        },
      })
      const view = (context: Record<string, unknown>, status?: number) => ({
        template: 'eid-desk/issue.njk',
        context: { x, ...context },
        ...(status === undefined ? {} : { status }),
      })
      if (!checked.ok) return view({ values: checked.values, formErrors: checked.errors }, 400)
      const { personalCode, keyRequest } = checked.values
      const visit = await openDeskVisit(request, platform(), {
        resident: personalCode,
        act: ISSUE_EID,
      })
      const keys = provenKeys(personalCode, keyRequestOf(keyRequest) as KeyRequest)
      const [auth, sign] = await issueAtDesk(platform(), visit, {
        authKey: keys.authKey,
        signKey: keys.signKey,
      })
      request.log.info({ clerk: visit.clerk, agency: visit.mandate.agency }, 'e-ID issued')
      return view({
        values: {},
        issued: {
          resident: personalCode,
          rows: [
            { key: { text: x.authCertificate }, value: { text: auth.serial } },
            { key: { text: x.signCertificate }, value: { text: sign.serial } },
          ],
        },
      })
    },
  },
]

function demoView(language: Language, posted: boolean) {
  return {
    template: 'eid-desk/demo.njk',
    browserScript: true,
    ...(posted ? { status: 400 } : {}),
    context: {
      x: EID_DESK_TEXTS[language],
      posted,
      residents: DEMO_RESIDENTS.map((person, index) => ({
        value: person.personalCode,
        text: `${person.firstName} ${person.lastName} (${person.personalCode})`,
        checked: index === 0,
      })),
    },
  }
}

interface KeyRequest {
  auth: { publicKey: string; proof: string }
  sign: { publicKey: string; proof: string }
}

/** The key request as the card or token wrote it, if it has the right shape. */
function keyRequestOf(text: string): KeyRequest | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<KeyRequest>
    const key = (part: unknown): part is { publicKey: string; proof: string } =>
      typeof part === 'object' &&
      part !== null &&
      typeof (part as { publicKey?: unknown }).publicKey === 'string' &&
      typeof (part as { proof?: unknown }).proof === 'string'
    return key(parsed.auth) && key(parsed.sign) ? (parsed as KeyRequest) : undefined
  } catch {
    return undefined
  }
}
