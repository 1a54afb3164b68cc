"""Thin command handlers: parse nothing, call the module that does the work."""

from __future__ import annotations

from pathlib import Path

from grader.core import paths
from grader.core.errors import BadInput


def cmd_dev(args) -> int:
    from grader.dev import check, sync

    if args.action == "sync":
        written = sync.sync(force=args.force)
        print(f"regenerated {len(written)} files in {paths.exercises_dir()}")
        return 0
    problems = check.run_all()
    for line in problems:
        print(f"  ✗ {line}")
    print(f"cnnkit dev check: {len(problems)} problem(s)" if problems
          else "cnnkit dev check: manifests, test files and stubs are consistent")
    return 1 if problems else 0


def cmd_data(args) -> int:
    from grader.course import data

    if args.action == "status":
        rows = data.status(verify=args.verify)
        width = max(len(r[0]) for r in rows)
        print(f"data root: {paths.data_root()}   mirror: {paths.shared_mirror()}")
        for name, state, where in rows:
            print(f"  {name:<{width}}  {state:<12}  {where}")
        return 0
    if not args.name:
        raise BadInput("data fetch needs a NAME: " + ", ".join(data.load_manifest()))
    where = data.fetch(args.name, Path(args.mirror) if args.mirror else None)
    print(f"{args.name}: ready in {where}")
    return 0


def cmd_grade(args) -> int:
    from grader.core.i18n import pick
    from grader.core.limits import Limits
    from grader.grading import pipeline, readiness, slurm

    limits = Limits(memory_mb=args.memory_mb, test_timeout_s=args.test_timeout,
                    topic_timeout_s=args.timeout)
    if args.backend == "slurm":
        results = slurm.grade_class(Path(args.submissions), Path(args.out), topics=args.topics,
                                    force=args.force, limits=limits, lang=args.lang,
                                    partition=args.partition, gpus_per_task=args.gpus_per_task,
                                    array_parallelism=args.array_parallelism,
                                    skip_missing_data=args.skip_missing_data, train=args.train)
    else:
        results = pipeline.grade_class(Path(args.submissions), Path(args.out), jobs=args.jobs,
                                       topics=args.topics, force=args.force, limits=limits,
                                       lang=args.lang, skip_missing_data=args.skip_missing_data,
                                       train=args.train)
    out = Path(args.out).resolve()
    width = max(len(s) for s in results)
    for student in sorted(results):
        r = results[student]
        print(f"  {student:<{width}}  {r['score']:>6g} / {r['max_score']:g}")
    not_graded = next(iter(results.values()))["cnnkit"].get("not_graded", {})
    if not_graded:
        print(pick({"en": "not graded on this machine (data missing; marked 'not graded', "
                          "not zero):",
                    "vi": "chưa chấm trên máy này (thiếu dữ liệu; ghi 'chưa chấm', không phải "
                          "điểm 0):"}, args.lang))
        for line in readiness.describe(not_graded, args.lang):
            print(f"  {line}")
    print(pick({"en": "gradebook", "vi": "bảng điểm"}, args.lang) + f": {out / 'gradebook.csv'}")
    print(pick({"en": "feedback and results.json per student",
                "vi": "nhận xét và results.json của từng sinh viên"}, args.lang)
          + f": {out / 'students'}/<student>/")
    return 0


def cmd_report(args) -> int:
    from grader.classview.report import write_report

    target = write_report(Path(args.dir), args.lang,
                          Path(args.submissions) if args.submissions else None)
    print(target)
    return 0


def cmd_export(args) -> int:
    import sys

    from grader.classview import lms
    from grader.classview.load import load_class
    from grader.core.files import atomic_write

    students, _ = load_class(Path(args.dir))
    text, lines = lms.export(students, args.format,
                             Path(args.roster) if args.roster else None, args.lang)
    for line in lines:
        print(f"cnnkit export: {line}", file=sys.stderr)
    print(atomic_write(Path(args.out), text.encode("utf-8")))
    return 0


def cmd_doctor(args) -> int:
    from grader.core import manifest, paths
    from grader.core.limits import Limits
    from grader.grading import canary

    limits = Limits(memory_mb=args.memory_mb, test_timeout_s=args.test_timeout)
    names = [paths.resolve_topic(t) for t in args.topics] if args.topics else paths.topics()
    code, summary = canary.doctor([manifest.load_topic(t) for t in names], limits, args.lang)
    print(summary)
    return code


def cmd_grade_one(args) -> int:
    from grader.grading import slurm

    result = slurm.grade_one(Path(args.plan), args.index)
    print(f"{result['cnnkit']['student']}: {result['score']:g} / {result['max_score']:g}")
    return 0


def cmd_release(args) -> int:
    from grader.export import release

    out = release.build(Path(args.out))
    problems = release.leaks(out)
    if problems:
        print("cnnkit release: solution text found in the bundle:\n  " + "\n  ".join(problems))
        return 1
    print(f"student bundle written to {out.resolve()} (no solutions, no hidden tests)")
    return 0


def cmd_nbgrader(args) -> int:
    from grader.export import nbgrader as nbgrader_export

    topics = [paths.resolve_topic(t) for t in args.topics] if args.topics else None
    for nb in nbgrader_export.export(Path(args.out), topics):
        print(f"wrote {nb}")
    print(f"next: cd {Path(args.out).resolve()} && nbgrader generate_assignment 01_cnn")
    return 0


def cmd_list(args) -> int:
    from grader.student import commands as student

    return student.cmd_list(args.target, args.lang)


def cmd_check(args) -> int:
    from grader.student import commands as student

    return student.cmd_check(args.topic, args.target, args.lang, args.full)


def cmd_hint(args) -> int:
    from grader.student import commands as student

    return student.cmd_hint(args.topic, args.exercise, None, args.lang, args.reset)


def cmd_solution(args) -> int:
    from grader.student import commands as student

    return student.cmd_solution(args.topic, args.exercise, args.target, args.lang, args.diff,
                                args.force)


def cmd_watch(args) -> int:
    from grader.student import watch

    return watch.watch(args.topic, args.target, args.lang, args.interval, args.poll)


def cmd_train(args) -> int:
    from grader.core import manifest
    from grader.core.i18n import pick
    from grader.testkit import targets
    from grader.course import training

    topic = "02_training" if args.task == "mnist" else "03_transfer"
    module = targets.import_exercise(targets.target_topic_dir(args.target, topic), "train")
    profile = training.resolve_profile(args.profile)
    variant = None if args.task == "mnist" else args.variant
    spec = manifest.load_topic(topic).training(args.task, variant)
    seed = {} if args.seed is None else {"seed": args.seed}
    out = Path(args.out) / f"{args.task}-{profile}"
    backbone = args.backbone or spec.backbone.get(profile) or "resnet18"
    what = ({"en": "mnist", "vi": "mnist"} if variant is None else
            {"en": f"transfer, variant {variant}, {backbone}",
             "vi": f"transfer, biến thể {variant}, {backbone}"})
    print(pick({"en": f"training {what['en']} ({profile} profile, {args.target}); results in "
                      f"{out}",
                "vi": f"huấn luyện {what['vi']} (profile {profile}, {args.target}); kết quả "
                      f"trong {out}"}, args.lang), flush=True)
    if args.task == "mnist":
        result = module.train_mnist(profile=profile, out_dir=out, **seed)
    else:
        result = module.train_transfer(variant=variant, profile=profile, backbone=backbone,
                                       out_dir=out, **seed)
    device_class = "cpu" if result.get("device", "cpu") == "cpu" else "gpu"
    threshold = spec.threshold_for(profile, device_class)
    ok = result["test_acc"] >= threshold
    verdict = "PASS" if ok else "FAIL"
    print(pick({"en": f"test accuracy {result['test_acc']:.4f}  (threshold {threshold:g}: "
                      f"{verdict})  in {result['seconds']} s on {result['device']}",
                "vi": f"độ chính xác trên tập test {result['test_acc']:.4f}  (ngưỡng {threshold:g}: "
                      f"{'ĐẠT' if ok else 'CHƯA ĐẠT'})  trong {result['seconds']} giây trên "
                      f"{result['device']}"}, args.lang))
    if spec.graded:
        points, top, _ = manifest.training_points(result["test_acc"], spec, profile, device_class)
        print(pick({"en": f"as a graded run: {points:g}/{top:g} points (the grader measures on "
                          "held-out test images, each moved by one pixel; expect a slightly "
                          "lower accuracy there)",
                    "vi": f"nếu được chấm: {points:g}/{top:g} điểm (bộ chấm đo trên ảnh test giữ "
                          "riêng, mỗi ảnh dịch một pixel; độ chính xác ở đó thường thấp hơn một "
                          "chút)"}, args.lang))
    if result.get("curves_png"):
        print(pick({"en": f"learning curves: {result['curves_png']}",
                    "vi": f"đồ thị học: {result['curves_png']}"}, args.lang))
    return 0 if ok else 1


def cmd_figures(args) -> int:
    from grader.student import figures

    figures.draw_all(args.target, Path(args.out), args.lang)
    return 0
