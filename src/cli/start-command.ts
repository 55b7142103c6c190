import { createApp, isStandby, readConfig } from '../main/index.ts'

export async function runStart(args: string[]): Promise<number> {
  if (args.length > 0) {
    process.stderr.write(
      'e-state start takes no arguments; configure it with HOST, PORT, E_STATE_* variables\n',
    )
    return 2
  }
  const config = readConfig()
  const app = await createApp(config)
  await app.server.listen({ host: config.host, port: config.port })
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
