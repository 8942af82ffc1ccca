import { Hono } from 'hono'
import { z } from 'zod'
import { addMember } from '../../domain/lists/add-list-member.ts'
import { deleteMember } from '../../domain/lists/delete-list-member.ts'
import { getMember } from '../../domain/lists/get-list-member.ts'
import { listMembersOf } from '../../domain/lists/list-members.ts'
import { updateMember } from '../../domain/lists/update-list-member.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { dateParam, idParam } from '../params.ts'
import { lenientJson, text } from '../validate.ts'

type Member = { id: number; value: string; description: string; expiresAt: Date | null }
const isoZ = (d: Date | null) => (d ? `${d.toISOString().slice(0, 19)}Z` : null)

/** API-COMPAT.md member shape: `host.host`, or `reverse_user.username` on user lists. */
export const compatMember = (listType: string, m: Member) => ({
  id: m.id,
  ...(listType === 'user' ? { reverse_user: { username: m.value } } : { host: { host: m.value } }),
  description: m.description,
  expiration: isoZ(m.expiresAt),
})

const ZMember = z.object({
  member: text(2048).min(1),
  description: text(10_000).optional(),
  expiration: text(64).nullable().optional(),
})

const read = guard({ auth: 'actor', permission: 'lists.read' })
const write = guard({ auth: 'actor', permission: 'lists.write' })
const body = lenientJson(ZMember)
const ZCompatMember = z.strictObject({
  id: z.number().int(),
  host: z.strictObject({ host: z.string() }).optional().meta({ description: 'every list type but user' }),
  reverse_user: z.strictObject({ username: z.string() }).optional().meta({ description: 'user lists' }),
  description: z.string(),
  expiration: z.string().nullable(),
})
const oneMember = output(200, ZCompatMember)
const memberInput = (c: { var: { lenientBody: unknown } }) => {
  const b = body.of(c)
  return {
    member: b.member,
    description: b.description,
    expiration: b.expiration === null ? null : dateParam(b.expiration, 'expiration'),
  }
}

export const compatLists = new Hono<AppEnv>()

compatLists.get('/api/lists/:id/members.json', read, output(200, z.array(ZCompatMember)), async (c) => {
  const { list, members } = await listMembersOf(c.var.deps.db, c.var.actor!, idParam(c.req.param('id'), 'list'))
  return c.json(members.map((m) => compatMember(list.type, m)))
})

compatLists.post('/api/lists/:id/members.json', write, body, output(201, ZCompatMember), async (c) => {
  const { list, member } = await addMember(
    c.var.deps.db,
    c.var.actor!,
    idParam(c.req.param('id'), 'list'),
    memberInput(c),
  )
  return c.json(compatMember(list.type, member), 201)
})

compatLists.get('/api/lists/:id/members/:memberId', read, oneMember, async (c) => {
  const { list, member } = await getMember(
    c.var.deps.db,
    c.var.actor!,
    idParam(c.req.param('id'), 'list'),
    idParam(c.req.param('memberId'), 'list member'),
  )
  return c.json(compatMember(list.type, member))
})

compatLists.put('/api/lists/:id/members/:memberId', write, body, oneMember, async (c) => {
  const { list, member } = await updateMember(
    c.var.deps.db,
    c.var.actor!,
    idParam(c.req.param('id'), 'list'),
    idParam(c.req.param('memberId'), 'list member'),
    memberInput(c),
  )
  return c.json(compatMember(list.type, member))
})

compatLists.delete('/api/lists/:id/members/:memberId', write, oneMember, async (c) => {
  const { list, member } = await deleteMember(
    c.var.deps.db,
    c.var.actor!,
    idParam(c.req.param('id'), 'list'),
    idParam(c.req.param('memberId'), 'list member'),
  )
  return c.json(compatMember(list.type, member), 200)
})
