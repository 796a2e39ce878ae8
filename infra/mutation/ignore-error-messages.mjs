// A StrykerJS ignorer (loaded by path from stryker.config.mjs): mutants inside the message of a domain error
// (`super("…")` in a class whose name ends in "Error", or the arguments of `new Error(…)`) are not run. A
// changed message is not something a caller or agent lives through; the error's class and fields are, and
// mutants of those still run. Written without @stryker-mutator/api so it needs no dependency of its own
// (a plugin is `{ kind, name, value }`).

function isMessageCall(call) {
  const callee = call.node.callee;
  if (call.isNewExpression()) return callee.type === "Identifier" && callee.name === "Error";
  if (callee.type !== "Super") return false;
  const cls = call.findParent((p) => p.isClassDeclaration() || p.isClassExpression());
  return Boolean(cls?.node.id?.name.endsWith("Error"));
}

/** `path` is (inside) an argument of a message call, however deeply nested (`${list.join(", ")}`). */
function isMessageArgument(path) {
  for (let p = path; p?.parentPath; p = p.parentPath) {
    const parent = p.parentPath;
    const isCall = parent.isCallExpression() || parent.isNewExpression();
    if (isCall && parent.node.arguments.includes(p.node) && isMessageCall(parent)) return true;
  }
  return false;
}

export const strykerPlugins = [
  {
    kind: "Ignore",
    name: "error-messages",
    value: {
      shouldIgnore(path) {
        return isMessageArgument(path)
          ? "the message of an error (its class and fields are tested)"
          : undefined;
      },
    },
  },
];
