import { ensureBuiltins } from '../../../../core/src/domain/setup/ensure-builtins.ts'
import { createSource, intakeUrl } from '../../../../core/src/domain/sources/create-source.ts'
import { SYSTEM } from '../../../../core/src/policy/actor.ts'
import { type Command, withRuntime } from '../command.ts'

const CTL = { ...SYSTEM, label: 'clawbackctl' }

export const sourceCommands: Command[] = [
  {
    path: ['source', 'create'],
    usage: 'source create --type json|csv --name NAME',
    summary: 'create an alert source; for a JSON source prints its POST URL (holds the token: keep it secret)',
    async run(ctx) {
      const type = String(ctx.options.type ?? '')
      const name = typeof ctx.options.name === 'string' ? ctx.options.name : ''
      if (!name || !type) throw new Error('usage: source create --type json --name NAME')
      return withRuntime(ctx, async (rt) => {
        await ensureBuiltins(rt.db)
        const { source, token } = await createSource(rt.db, rt.keyring, CTL, { name, type })
        const base =
          ctx.config.publicUrl || `${ctx.config.tls ? 'https' : 'http'}://${ctx.config.host}:${ctx.config.port}`
        ctx.stdout(token ? `${intakeUrl(base, token)}\n` : `source ${source.id} created\n`)
        ctx.stderr(`source "${source.name}" (id ${source.id}, type ${source.type}) created\n`)
        return 0
      })
    },
  },
]
