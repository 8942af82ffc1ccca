import { Hono } from 'hono'
import { z } from 'zod'
import { listManifests } from '../../connectors/index.ts'
import { createConnector } from '../../domain/connectors/create-connector.ts'
import { deleteConnector } from '../../domain/connectors/delete-connector.ts'
import { listConnectors } from '../../domain/connectors/list-connectors.ts'
import { testConnector } from '../../domain/connectors/test-connector.ts'
import { updateConnector } from '../../domain/connectors/update-connector.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZConnector, ZConnectorKind, ZDeleted } from '../schemas.ts'
import { input } from '../validate.ts'

const admin = guard({ auth: 'actor', permission: 'system.manage' })
const ZSecrets = z.record(z.string().max(100), z.string().max(10_000))
const ZCreate = z.strictObject({
  kind: z.string().min(1).max(100),
  name: z.string().min(1).max(200),
  settings: z.record(z.string(), z.unknown()).default({}),
  secrets: ZSecrets.optional(),
  isEnabled: z.boolean().optional(),
  isOnPremises: z.boolean().optional().meta({ description: 'may reach loopback, link-local and private addresses' }),
})
// No defaults here: a field left out of a PATCH is kept as it is (a missing `settings` is not `{}`).
const ZUpdate = ZCreate.omit({ kind: true, settings: true })
  .partial()
  .extend({ settings: z.record(z.string(), z.unknown()).optional() })
const connectorId = (raw: string | undefined) => idParam(raw, 'connector')

export const connectorsApi = new Hono<AppEnv>()

/** The registered kinds: settings as JSON Schema, secret names, capabilities. */
connectorsApi.get('/api/v1/connector-kinds', admin, output(200, data(z.array(ZConnectorKind))), (c) =>
  c.json({
    data: listManifests().map((m) => ({
      kind: m.kind,
      title: m.title,
      description: m.description,
      capabilities: [...m.capabilities],
      settings: z.toJSONSchema(m.settings, { io: 'input' }) as Record<string, unknown>,
      secrets: m.secrets.map((s) => ({ ...s })),
      docs: m.docs,
    })),
  }),
)
connectorsApi.get('/api/v1/connectors', admin, output(200, data(z.array(ZConnector))), async (c) =>
  c.json({ data: await listConnectors(c.var.deps.db, c.var.actor!) }),
)
connectorsApi.post('/api/v1/connectors', admin, input('json', ZCreate), output(201, data(ZConnector)), async (c) =>
  c.json({ data: await createConnector(c.var.deps.db, c.var.deps.keyring, c.var.actor!, c.req.valid('json')) }, 201),
)
connectorsApi.get('/api/v1/connectors/:id', admin, output(200, data(ZConnector)), async (c) => {
  const [one] = await listConnectors(c.var.deps.db, c.var.actor!, connectorId(c.req.param('id')))
  return c.json({ data: one! })
})
connectorsApi.patch('/api/v1/connectors/:id', admin, input('json', ZUpdate), output(200, data(ZConnector)), async (c) =>
  c.json({
    data: await updateConnector(
      c.var.deps.db,
      c.var.deps.keyring,
      c.var.actor!,
      connectorId(c.req.param('id')),
      c.req.valid('json'),
    ),
  }),
)
connectorsApi.delete('/api/v1/connectors/:id', admin, output(200, data(ZDeleted)), async (c) =>
  c.json({ data: await deleteConnector(c.var.deps.db, c.var.actor!, connectorId(c.req.param('id'))) }),
)
/** Runs the kind's check against the vendor now; the outcome is also stored as the connector's last test. */
connectorsApi.post(
  '/api/v1/connectors/:id/test',
  admin,
  output(200, data(z.strictObject({ isOk: z.boolean(), message: z.string() }))),
  async (c) =>
    c.json({
      data: await testConnector(c.var.deps.db, c.var.deps.keyring, c.var.actor!, connectorId(c.req.param('id')), {
        log: c.var.log,
      }),
    }),
)
