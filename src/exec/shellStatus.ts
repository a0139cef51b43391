import type { PipelineNode, ScriptNode, StatementNode, TransformPlugin } from 'just-bash';
import { parse } from 'just-bash';

/**
 * The line of an interactive shell starts with `$?` at the previous line's status (runCommand
 * sets it in just-bash's state). just-bash has one flaw that this would surface: a command made of
 * assignments only (`NAME=web`) without a command substitution returns the status `$?` held
 * before it, where bash returns 0 — so `NAME=web` typed after a failing line would fail too.
 * Only the line's first pipeline can see the previous line's status there (after it, a
 * command of the line has set one). So when that pipeline is such an assignment, this plugin
 * runs one statement right after it that sets the status to 0 without output, `(( 1 ))`: the
 * assignment still sees `$?` as the previous line's, and what follows sees 0, as in bash (a
 * later `A=1` after a failing command of the same line is as it was, just-bash's). One command
 * more (runCommand allows it under `maxCommands`). Only the line itself is transformed, not `bash -c`, eval, source.
 */
export function startStatusPlugin(): TransformPlugin {
  let transformed = false;
  // Parsed here: the transform runs inside just-bash's defense-in-depth box, which forbids it.
  const reset = parse('(( 1 ))').statements[0]!;
  return {
    name: 'strata-start-status',
    transform: ({ ast }) => {
      if (transformed) return { ast };
      transformed = true;
      return { ast: withReset(ast, reset) };
    },
  };
}

/**
 * `ast` with `reset` run right after its first pipeline when that is a plain assignment
 * (`A=1 && cmd` is `A=1; (( 1 )) && cmd`); unchanged otherwise.
 */
function withReset(ast: ScriptNode, reset: StatementNode): ScriptNode {
  const [first, ...rest] = ast.statements;
  if (!first || first.background || first.deferredError || !isPlainAssignment(first.pipelines[0]!))
    return ast;
  const split: StatementNode = {
    ...first,
    pipelines: [first.pipelines[0]!, ...reset.pipelines, ...first.pipelines.slice(1)],
    operators: [';', ...first.operators],
  };
  return { ...ast, statements: [split, ...rest] };
}

/** A pipeline that is one command of assignments only, whose status just-bash takes from `$?`. */
function isPlainAssignment(pipeline: PipelineNode): boolean {
  if (pipeline.negated || pipeline.timed || pipeline.commands.length !== 1) return false;
  const command = pipeline.commands[0]!;
  if (command.type !== 'SimpleCommand' || command.name !== null || command.redirections.length > 0)
    return false;
  if (command.assignments.length === 0) return false;
  // A substitution sets the status itself (`X=$(false)` is 1).
  return !/"(CommandSubstitution|ProcessSubstitution)"/.test(JSON.stringify(command.assignments));
}
