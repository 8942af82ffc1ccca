import path from 'node:path'

/** Where appliance operations keep their files inside the data directory. */
export const opsPaths = (dataDir: string) => ({
  blobs: path.join(dataDir, 'blobs'),
  backups: path.join(dataDir, 'backups'),
  ops: path.join(dataDir, 'ops'),
  tls: path.join(dataDir, 'tls'),
  agentInbox: path.join(dataDir, 'agent-inbox'),
  staging: path.join(dataDir, 'staging'),
})
