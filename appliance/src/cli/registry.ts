import type { Command } from './command.ts'
import { applianceCommands } from './commands/appliance-commands.ts'
import { connectorCommands } from './commands/connector-commands.ts'
import { coreCommands } from './commands/core-commands.ts'
import { sourceCommands } from './commands/source-commands.ts'
import { systemCommands } from './commands/system-commands.ts'

/** Every clawbackctl command, explicitly listed. Add a module's array here. */
export const COMMANDS: Command[] = [
  ...coreCommands,
  ...sourceCommands,
  ...connectorCommands,
  ...applianceCommands,
  ...systemCommands,
]
