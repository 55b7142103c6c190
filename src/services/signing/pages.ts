/**
 * Signing and validating in the portal. Signing needs the e-ID held in this browser: the
 * server prepares the signature (`/signatures/prepare`), the browser's signing key signs it,
 * the server adds the time-stamp and OCSP answer (`/signatures/finalize`) and the browser
 * downloads the container. Validation sends the container to the public validation service.
 */
import { join } from 'node:path'
import type { PageDeclaration, TextCatalogue } from '../../platform/index.ts'
import type { SigningNeeds } from './routes.ts'

type Key =
  | 'signLead'
  | 'signNeedsScript'
  | 'signWorking'
  | 'signDone'
  | 'failed'
  | 'noFiles'
  | 'noEid'
  | 'documents'
  | 'documentsHint'
  | 'signButton'
  | 'download'
  | 'toValidate'
  | 'validateLead'
  | 'validateNoScript'
  | 'validateWorking'
  | 'validateResult'
  | 'noFile'
  | 'container'
  | 'containerHint'
  | 'validateButton'

const TEXTS: TextCatalogue<Key> = {
  et: {
    signLead:
      'Allkirjasta üks või mitu faili oma e-ID allkirjastamisvõtmega. Allkiri saab riigi ajatempli ja kehtivuskinnituse ning fail on ASiC-E konteiner, mida DigiDoc loeb.',
    signNeedsScript: 'Allkiri antakse sinu brauseris hoitava võtmega: selleks on vaja JavaScripti.',
    signWorking: 'Allkirjastan…',
    signDone: 'Allkirjastatud: laadi konteiner alla.',
    failed: 'Ei õnnestunud:',
    noFiles: 'Vali vähemalt üks fail.',
    noEid: 'Selles brauseris ei ole e-ID allkirjastamisvõtit.',
    documents: 'Failid',
    documentsHint: 'Kuni 64 MB kokku',
    signButton: 'Allkirjasta',
    download: 'Laadi allkirjastatud konteiner alla',
    toValidate: 'Kontrolli allkirjastatud dokumenti',
    validateLead:
      'Kontrolli ASiC-E või BDOC konteineri allkirju: kes allkirjastas, millal ja kas allkiri kehtib. Dokumenti ei salvestata.',
    validateNoScript:
      'Ilma JavaScriptita saad konteineri kontrollida ka käsurealt või oma rakendusest:',
    validateWorking: 'Kontrollin…',
    validateResult: 'Kehtivaid allkirju {valid} / {count}.',
    noFile: 'Vali konteiner.',
    container: 'Allkirjastatud konteiner',
    containerHint: '.asice, .bdoc või .sce',
    validateButton: 'Kontrolli',
  },
  en: {
    signLead:
      "Sign one or more files with your e-ID's signing key. The signature gets the state's time-stamp and status answer, and the file is an ASiC-E container that DigiDoc reads.",
    signNeedsScript:
      'The signature is made with the key this browser holds: this needs JavaScript.',
    signWorking: 'Signing…',
    signDone: 'Signed: download the container.',
    failed: 'It did not work:',
    noFiles: 'Choose at least one file.',
    noEid: 'This browser holds no e-ID signing key.',
    documents: 'Files',
    documentsHint: 'Up to 64 MB in all',
    signButton: 'Sign',
    download: 'Download the signed container',
    toValidate: 'Check a signed document',
    validateLead:
      'Check the signatures of an ASiC-E or BDOC container: who signed, when, and whether the signature is valid. The document is not kept.',
    validateNoScript:
      'Without JavaScript you can check a container from the command line or your own application:',
    validateWorking: 'Checking…',
    validateResult: '{valid} of {count} signatures are valid.',
    noFile: 'Choose a container.',
    container: 'Signed container',
    containerHint: '.asice, .bdoc or .sce',
    validateButton: 'Check',
  },
  ru: {
    signLead:
      'Подпишите один или несколько файлов ключом подписи вашего e-ID. Подпись получит государственную метку времени и подтверждение действительности, а файл станет контейнером ASiC-E, который читает DigiDoc.',
    signNeedsScript: 'Подпись создаётся ключом, хранящимся в браузере: для этого нужен JavaScript.',
    signWorking: 'Подписываю…',
    signDone: 'Подписано: скачайте контейнер.',
    failed: 'Не получилось:',
    noFiles: 'Выберите хотя бы один файл.',
    noEid: 'В этом браузере нет ключа подписи e-ID.',
    documents: 'Файлы',
    documentsHint: 'Всего до 64 МБ',
    signButton: 'Подписать',
    download: 'Скачать подписанный контейнер',
    toValidate: 'Проверить подписанный документ',
    validateLead:
      'Проверьте подписи контейнера ASiC-E или BDOC: кто подписал, когда и действительна ли подпись. Документ не сохраняется.',
    validateNoScript:
      'Без JavaScript контейнер можно проверить из командной строки или своего приложения:',
    validateWorking: 'Проверяю…',
    validateResult: 'Действительных подписей: {valid} из {count}.',
    noFile: 'Выберите контейнер.',
    container: 'Подписанный контейнер',
    containerHint: '.asice, .bdoc или .sce',
    validateButton: 'Проверить',
  },
}

const TEMPLATES = join(import.meta.dirname, 'pages')

export const SIGNING_PAGES: readonly PageDeclaration<SigningNeeds>[] = [
  {
    path: '/sign',
    title: { et: 'Allkirjasta dokument', en: 'Sign a document', ru: 'Подписать документ' },
    description: {
      et: 'Digiallkiri e-ID-ga: ASiC-E konteiner ajatempli ja kehtivuskinnitusega.',
      en: 'A digital signature with your e-ID: an ASiC-E container, time-stamped.',
      ru: 'Цифровая подпись e-ID: контейнер ASiC-E с меткой времени.',
    },
    audience: 'resident',
    listed: true,
    templates: TEMPLATES,
    async render({ language }) {
      return { template: 'signing/sign.njk', browserScript: true, context: { x: TEXTS[language] } }
    },
  },
  {
    path: '/validate',
    title: { et: 'Kontrolli allkirja', en: 'Validate a document', ru: 'Проверить подпись' },
    description: {
      et: 'Kes ja millal dokumendi allkirjastas ning kas allkiri kehtib.',
      en: 'Who signed a document, when, and whether the signature holds.',
      ru: 'Кто и когда подписал документ и действительна ли подпись.',
    },
    audience: 'public',
    listed: true,
    templates: TEMPLATES,
    async render({ language, platform }) {
      return {
        template: 'signing/validate.njk',
        browserScript: true,
        context: { x: TEXTS[language], origin: platform().publicOrigin },
      }
    },
  },
]
