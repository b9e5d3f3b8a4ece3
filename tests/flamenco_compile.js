// Runs a Flamenco job compiler script the way Flamenco Manager does (in strict mode, JOB_TYPE, compileJob(job) with
// `author`, `path` and `print`), without a Manager: node flamenco_compile.js SCRIPT 'SETTINGS_JSON' prints the
// job type and its tasks as JSON, or {"error": ...} when compileJob throws (the Manager refuses the job then).
const fs = require("fs");
const vm = require("vm");
const nodePath = require("path");

const tasks = [];
const sandbox = {
    print: (...args) => console.error(...args),
    path: { join: (...parts) => nodePath.posix.join(...parts) },
    author: {
        Task: (name, type) => ({ name, type, commands: [], addCommand(command) { this.commands.push(command); } }),
        Command: (name, parameters) => ({ name, parameters }),
    },
};
vm.createContext(sandbox);
vm.runInContext('"use strict";\n' + fs.readFileSync(process.argv[2], "utf8") + "\nthis.JOB_TYPE = JOB_TYPE;", sandbox);
const job = { settings: JSON.parse(process.argv[3]), addTask(task) { tasks.push(task); } };
try {
    sandbox.compileJob(job);
} catch (error) {
    console.log(JSON.stringify({ error: String(error) }));
    process.exit(0);
}
console.log(JSON.stringify({
    job_type: sandbox.JOB_TYPE,
    tasks: tasks.map((t) => ({ name: t.name, type: t.type, commands: t.commands })),
}));
