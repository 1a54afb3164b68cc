"""Thin command handlers: parse nothing, call the module that does the work."""

from __future__ import annotations

from pathlib import Path

from grader.core import manifest, scoring
from grader.core import paths
from grader.core.errors import BadInput
from grader.core.i18n import msg, pick
from grader.lab import data, download
from grader.lab import training
from grader.student import handin
from grader.student import loop as student
from grader.student import watch
from grader.testkit import targets


def cmd_data(args) -> int:
    if args.action == "status":
        rows = data.status(verify=args.verify)
        width = max(len(r[0]) for r in rows)
        print(f"data root: {paths.data_root()}   mirror: {paths.shared_mirror()}")
        for name, state, where in rows:
            print(f"  {name:<{width}}  {state:<12}  {where}")
        return 0
    if not args.name:
        raise BadInput(msg("data fetch needs a NAME: ", "data fetch cần một TÊN: ")
                       + ", ".join(data.load_manifest()))
    where = download.fetch_named(args.name, Path(args.mirror) if args.mirror else None)
    print(f"{args.name}: ready in {where}")
    return 0


def cmd_list(args) -> int:
    return student.cmd_list(args.target, args.lang)


def cmd_check(args) -> int:
    return student.cmd_check(args.topic, args.target, args.lang, args.full)


def cmd_hint(args) -> int:
    return student.cmd_hint(args.topic, args.exercise, None, args.lang, args.reset)


def cmd_solution(args) -> int:
    return student.cmd_solution(args.topic, args.exercise, args.target, args.lang, args.diff,
                                args.force)


def cmd_submit(args) -> int:
    return handin.submit(args.name, args.out, args.target, args.lang, not args.no_check)


def cmd_watch(args) -> int:
    return watch.watch(args.topic, args.target, args.lang, args.interval, args.poll,
                       args.cold)


def cmd_train(args) -> int:
    topic = "02_training" if args.task == "mnist" else "03_transfer"
    profile = training.resolve_profile(args.profile)
    variant = None if args.task == "mnist" else args.variant
    spec = manifest.load_topic(topic).training(args.task, variant)
    file, function = spec.file_and_function
    module = targets.import_exercise(targets.target_topic_dir(args.target, topic),
                                     Path(file).stem)
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
    more = {} if variant is None else {"variant": variant, "backbone": backbone}
    result = getattr(module, function)(profile=profile, out_dir=out, **more, **seed)
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
        points, top, _ = scoring.training_points(result["test_acc"], spec, profile, device_class)
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
    from grader.student import figures  # lazy: keeps matplotlib, numpy out of start-up

    figures.draw_all(args.target, Path(args.out), args.lang)
    return 0
