/** Every connector kind, registered explicitly (greppable; no glob). Import this once per process. */
import './ad/index.ts'
import './ews/index.ts'
import './gmail/index.ts'
import './imap/index.ts'
import './msgraph/index.ts'
import './smtp/index.ts'
import './virustotal/index.ts'
import './webhook/index.ts'

export { instantiateConnector, listManifests, manifestOf } from './registry.ts'
