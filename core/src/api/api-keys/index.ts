import { Hono } from 'hono'
import { z } from 'zod'
import { createApiKey } from '../../domain/api-keys/create-api-key.ts'
import { listApiKeys } from '../../domain/api-keys/list-api-keys.ts'
import { revokeApiKey } from '../../domain/api-keys/revoke-api-key.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZApiKey, ZTime } from '../schemas.ts'
import { date, input, text } from '../validate.ts'

const ZCreateKey = z.strictObject({
  name: text(200).min(1),
  teams: z.array(text(100).min(1)).min(1).max(50),
  expiresAt: date().optional(),
})

export const apiKeys = new Hono<AppEnv>()

apiKeys.get(
  '/api/v1/api-keys',
  guard({ auth: 'actor', permission: 'api_keys.manage' }),
  output(200, data(z.array(ZApiKey))),
  async (c) => c.json({ data: await listApiKeys(c.var.deps.db, c.var.actor!) }),
)

/** The key is in this answer and nowhere else, ever. */
apiKeys.post(
  '/api/v1/api-keys',
  guard({ auth: 'actor', permission: 'api_keys.manage' }),
  input('json', ZCreateKey),
  output(
    201,
    data(
      z.strictObject({
        key: z.string().meta({ description: 'the key itself: shown here once, never again' }),
        id: z.number().int(),
        name: z.string(),
        prefix: z.string(),
      }),
    ),
  ),
  async (c) => c.json({ data: await createApiKey(c.var.deps.db, c.var.actor!, c.req.valid('json')) }, 201),
)

apiKeys.delete(
  '/api/v1/api-keys/:id',
  guard({ auth: 'actor', permission: 'api_keys.manage' }),
  output(200, data(z.strictObject({ id: z.number().int(), revokedAt: ZTime.nullable() }))),
  async (c) => c.json({ data: await revokeApiKey(c.var.deps.db, c.var.actor!, idParam(c.req.param('id'), 'API key')) }),
)
