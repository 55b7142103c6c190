import { createApp, isStandby, readConfig } from '../main/index.ts'

export async function runStart(args: string[]): Promise<number> {
  if (args.length > 0) {
    process.stderr.write(
      'e-state start takes no arguments; configure it with HOST, PORT, E_STATE_* variables\n',
    )
    return 2
  }
  const config = readConfig()
  // Every route's schemas compiled and the OpenID Connect provider built before the node is
  // ready (a test app or a command builds each on first use).
  const app = await createApp(config, { warm: true })
  await app.server.listen({ host: config.host, port: config.port })
  const address = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`
  // Plain words for the person at the terminal (the JSON lines are for the operator's logs).
  process.stderr.write(
    `\ne-state is starting at ${address}${config.environment === 'development' ? ' (first start: seeding the synthetic country, a few seconds)' : ''}\n`,
  )
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    app.server.log.info({ signal }, 'stopping')
    void app.close().then(() => process.exit(0))
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  const started = performance.now()
  try {
    await app.start()
  } catch (error) {
    // A node that cannot start must not stay up listening (a wrong master key, a fenced store).
    await app.close().catch(() => undefined)
    throw error
  }
  app.server.log.info(
    {
      url: `http://${config.host}:${config.port}`,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    },
    'e-state is ready',
  )
  process.stderr.write(startBanner(address, config.environment, app.platform().readOnly))
  // An embassy's node on the standby serves reads; once the standby is promoted it stops, so
  // that its supervisor starts it again as a node of the primary (exit code 75: restart me).
  if (app.platform().readOnly) {
    const watch = setInterval(() => {
      void isStandby(app.platform().store)
        .then((standby) => {
          if (standby) return
          clearInterval(watch)
          app.server.log.warn('the standby was promoted: restarting as the primary site')
          stopping = true
          void app.close().then(() => process.exit(75))
        })
        .catch(() => undefined)
    }, 2000)
    watch.unref()
  }
  return new Promise<number>(() => {})
}

/** What a newcomer reads at the terminal once the node is ready: where to go, what to try. */
function startBanner(address: string, environment: string, readOnly: boolean): string {
  const lines = ['', `e-state is ready. Open ${address}/ in your browser.`, '']
  if (readOnly)
    lines.push('This node is an embassy on a standby: it serves reads until it is promoted.')
  else if (environment === 'development')
    lines.push(
      'Try first:',
      `  1. On the front page choose "Get a demo e-ID": the demo clerk issues one to a key made`,
      '     in your browser (development only).',
      '  2. Log in with it, open "My data", then "Data tracker": the read you just caused is',
      '     there, with its proof in the integrity ledger checked by your browser.',
      '  3. Sign a document, or validate one, under "Documents".',
      '',
      `API reference: ${address}/docs   Public ledger: ${address}/ledger   Stop: Ctrl+C`,
    )
  else lines.push(`API reference: ${address}/docs`)
  return `${lines.join('\n')}\n\n`
}
