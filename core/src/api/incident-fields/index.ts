import { Hono } from 'hono'
import { z } from 'zod'
import { createField } from '../../domain/fields/create-field.ts'
import { deleteField } from '../../domain/fields/delete-field.ts'
import { FIELD_KINDS } from '../../domain/fields/list-fields.ts'
import { listIncidentFields } from '../../domain/fields/list-incident-fields.ts'
import { updateField } from '../../domain/fields/update-field.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { idParam } from '../params.ts'
import { data, ZDeleted, ZField } from '../schemas.ts'
import { fieldName, input, text } from '../validate.ts'

const manage = guard({ auth: 'actor', permission: 'fields.manage' })
const fieldId = (raw: string | undefined) => idParam(raw, 'field')
const ZOptions = z.array(text(200)).max(200)

export const incidentFieldsApi = new Hono<AppEnv>()

incidentFieldsApi.get(
  '/api/v1/incident-fields',
  guard({ auth: 'actor', permission: 'incidents.read' }),
  output(200, data(z.array(ZField))),
  async (c) => c.json({ data: await listIncidentFields(c.var.deps.db, c.var.actor!) }),
)

/** Defines a custom incident field (the same domain function as the admin page). */
incidentFieldsApi.post(
  '/api/v1/incident-fields',
  manage,
  input('json', z.strictObject({ name: fieldName(), kind: z.enum(FIELD_KINDS), options: ZOptions.optional() })),
  output(201, data(ZField)),
  async (c) => c.json({ data: await createField(c.var.deps.db, c.var.actor!, c.req.valid('json')) }, 201),
)

/** Renames a custom field and/or replaces a select field's options; built-ins keep their name. */
incidentFieldsApi.patch(
  '/api/v1/incident-fields/:id',
  manage,
  input('json', z.strictObject({ name: fieldName().optional(), options: ZOptions.optional() })),
  output(200, data(ZField)),
  async (c) =>
    c.json({
      data: await updateField(c.var.deps.db, c.var.actor!, {
        fieldId: fieldId(c.req.param('id')),
        ...c.req.valid('json'),
      }),
    }),
)

/** Deletes a custom field and its values on incidents (the audit record keeps the definition); built-ins: 400. */
incidentFieldsApi.delete('/api/v1/incident-fields/:id', manage, output(200, data(ZDeleted)), async (c) => {
  const field = await deleteField(c.var.deps.db, c.var.actor!, fieldId(c.req.param('id')))
  return c.json({ data: { id: field.id, deleted: true as const } })
})
