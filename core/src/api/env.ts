import type { Deps } from '../deps.ts'
import type { Logger } from '../log.ts'
import type { Actor } from '../policy/actor.ts'

/** Deps moved to core/src/deps.ts (any layer may take it); re-exported for the routes. */
export type { Deps }

export type AppEnv = {
  Variables: {
    deps: Deps
    log: Logger
    requestId: string
    actor: Actor | undefined
    /** set when the actor came from a session cookie (CSRF applies) */
    session: { idHash: string; csrfToken: string; mustChangePassword: boolean; username: string } | undefined
    /** set by console/ on its pages so errors render as HTML instead of JSON */
    renderError: ((status: number, message: string) => Response | Promise<Response>) | undefined
    /** the body `lenientJson()` parsed (compatible paths) */
    lenientBody: unknown
  }
}
