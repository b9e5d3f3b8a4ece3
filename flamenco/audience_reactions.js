// Flamenco job type: Audience Reactions for a shot list (README: "Many shots on a render farm").
// Put this file in the folder "scripts" next to the flamenco-manager executable and restart the Manager.
// Each task runs batch.py in Blender on some shots of the list: the model is loaded once per task, a shot that
// fails is reported in the task log and the task fails (exit code 1) after doing the others, so Flamenco can
// retry it. Every output is written atomically by batch.py, so a retried task simply writes it again.

const JOB_TYPE = {
    label: "Audience Reactions",
    description: "Animate the audiences of a shot list from their speech (batch.py --shots)",
    settings: [
        { key: "shot_list", type: "string", subtype: "file_path", required: true,
          description: "The shot list (CSV or JSON: blend, strip, faces, output, settings), as the workers see it" },
        { key: "shots", type: "string", required: true,
          description: "The shots to do, numbered from 1 as in the list: '1-40' or '1, 3, 7-9'" },
        { key: "shots_per_task", type: "int32", default: 1, propargs: { min: 1, max: 1000 },
          description: "Shots one Blender process does in turn (the model is loaded once per task)" },
        { key: "batch_script", type: "string", subtype: "file_path", required: true,
          description: "batch.py of Audience Reactions as the workers see it, e.g. {audience}/batch.py with a " +
                       "two-way variable 'audience' in the Manager's settings" },
        { key: "model", type: "string", subtype: "dir_path", required: false,
          description: "A trained model folder; empty: the one shipped beside batch.py" },
        { key: "options", type: "string", required: false,
          description: "batch.py options for every shot, e.g. '--seed 3 --strength 1.2'; a shot's own columns win" },
        { key: "summary_dir", type: "string", subtype: "dir_path", required: false,
          description: "A folder for each task's JSON summary (summary-<shots>.json); empty: none" },
    ],
};

function compileJob(job) {
    const settings = job.settings;
    const shots = shotNumbers(settings.shots);
    const perTask = Math.max(1, settings.shots_per_task || 1);
    const options = batchOptions(settings.options || "");
    print(`Audience Reactions: ${shots.length} shots of ${settings.shot_list}, ${perTask} a task`);

    for (let i = 0; i < shots.length; i += perTask) {
        const only = ranges(shots.slice(i, i + perTask));
        const args = ["--python", settings.batch_script, "--", "--shots", settings.shot_list, "--only", only];
        if (settings.model) {
            args.push("--model", settings.model);
        }
        if (settings.summary_dir) {
            args.push("--summary", path.join(settings.summary_dir, `summary-${only.replace(/,/g, "_")}.json`));
        }
        for (const option of options) {
            args.push(option);
        }
        const task = author.Task(`shots ${only}`, "blender");
        task.addCommand(author.Command("blender-render", {
            exe: "{blender}",
            exeArgs: "{blenderArgs}",  // the Manager's, "-b -y" by default: no window
            argsBefore: [],
            blendfile: "",  // batch.py opens each shot's .blend itself
            args: args,
        }));
        job.addTask(task);
    }
}

// [1, 2, 3, 7] for "1-3, 7".
function shotNumbers(text) {
    const numbers = [];
    for (const part of `${text}`.split(",")) {
        const m = part.trim().match(/^(\d+)(?:\s*-\s*(\d+))?$/);
        if (!m) {
            throw `shots: expected shot numbers like '1-40' or '1, 3, 7-9', not '${text}'`;
        }
        const first = parseInt(m[1], 10);
        const last = m[2] === undefined ? first : parseInt(m[2], 10);
        if (first < 1 || last < first) {
            throw `shots: '${part.trim()}' is not a range of shots numbered from 1`;
        }
        for (let n = first; n <= last; n++) {
            if (numbers.indexOf(n) < 0) {
                numbers.push(n);
            }
        }
    }
    return numbers.sort((a, b) => a - b);
}

// "1-3,7" for [1, 2, 3, 7]: what batch.py --only takes.
function ranges(numbers) {
    const parts = [];
    let start = numbers[0];
    for (let i = 1; i <= numbers.length; i++) {
        if (i === numbers.length || numbers[i] !== numbers[i - 1] + 1) {
            const end = numbers[i - 1];
            parts.push(start === end ? `${start}` : `${start}-${end}`);
            start = numbers[i];
        }
    }
    return parts.join(",");
}

// The words of the options setting; values with spaces or quotes belong in the shot list instead.
function batchOptions(text) {
    if (/["'\\]/.test(text)) {
        throw "options: no quotes here; give values with spaces in the shot list's columns instead";
    }
    const words = text.split(/\s+/).filter((word) => word.length > 0);
    const perShot = words.filter((word) => /^--(shots|only|summary|blend|output|report|csv)(=|$)/.test(word));
    if (perShot.length) {
        throw `options: ${perShot.join(", ")} ${perShot.length === 1 ? "is" : "are"} set by the job or the shot list`;
    }
    return words;
}
