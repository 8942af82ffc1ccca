import { registerConnector } from '../registry.ts'
import { ImapConnector } from './client.ts'
import { manifest } from './manifest.ts'

registerConnector(manifest, (settings, secrets) => new ImapConnector(settings, secrets))
