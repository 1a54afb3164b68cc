"""The student bundle's README: its front door, in English and Vietnamese."""

STUDENT_README = """\
# cnnkit: exercises on deep convolutional networks

*Tiếng Việt: [bên dưới](#tiếng-việt).*

## Set-up (once)

    ./kit setup        # creates .venv and installs PyTorch and the kit (a few minutes)

Python 3.10 or newer is all you need. Every `./kit` command sets itself up on its first
run, so you may skip this step. `./kit help` lists the commands; `--lang vi` speaks
Vietnamese.

## The loop

    ./kit list                     # every exercise: done / failing / not started, points
    ./kit check 01_cnn             # one topic's tests: points per exercise, what failed and why
    ./kit hint 01_cnn params       # one more hint each time you ask
    ./kit watch 01_cnn             # check again on every save (Ctrl-C stops)
    ./kit solution 01_cnn params   # the reference, once your instructor releases it and yours passes

Edit the files in `exercises/NN_topic/` (each topic has a README that explains its
concepts). `check` and `list` always run the kit's own tests: an edited test file is
refused, so write your own tests in a file of another name. The plain tests work too:
`source .venv/bin/activate && pytest exercises/01_cnn`.

## The data

Topics 02 and 03 need MNIST, CIFAR-10 and ImageNet weights. They are fetched on first
use (a network is needed once); `./kit data status` says what is where, `./kit data fetch
mnist` fetches by hand and `--from FOLDER` copies from a copy your course gives you. Tests
whose data is missing are skipped with one line that names the fetch command.

## Handing in

    ./kit submit --name "Your Name"

runs the checks, then packs exactly your exercise files into `Your_Name.zip` (in the
folder where you ran it, or `--out FOLDER`) and says what went in, what is missing and
what was left out. Upload that zip where your course collects the work. The grader runs
the same tests and some hidden ones, so passing `check` is a good sign, not a promise.

---

## Tiếng Việt

### Cài đặt (một lần)

    ./kit setup        # tạo .venv và cài PyTorch cùng kit (vài phút)

Chỉ cần Python 3.10 trở lên. Mỗi lệnh `./kit` tự cài đặt ở lần chạy đầu, nên có thể bỏ
qua bước này. `./kit help` liệt kê các lệnh; thêm `--lang vi` để xem tiếng Việt.

### Vòng lặp làm bài

    ./kit list                     # mọi bài: xong / chưa đạt / chưa làm, điểm
    ./kit check 01_cnn             # chạy kiểm tra một chủ đề: điểm từng bài, lỗi và lý do
    ./kit hint 01_cnn params       # mỗi lần hỏi thêm một gợi ý
    ./kit watch 01_cnn             # kiểm tra lại mỗi khi lưu tệp (Ctrl-C để dừng)
    ./kit solution 01_cnn params   # lời giải mẫu, khi giảng viên đã phát và bài của bạn đạt

Sửa các tệp trong `exercises/NN_topic/` (mỗi chủ đề có README giải thích khái niệm).
`check` và `list` luôn chạy bài kiểm tra của chính kit: tệp kiểm tra bị sửa sẽ bị từ chối,
nên hãy viết bài kiểm tra riêng trong một tệp tên khác. Có thể chạy pytest trực tiếp:
`source .venv/bin/activate && pytest exercises/01_cnn`.

### Dữ liệu

Chủ đề 02 và 03 cần MNIST, CIFAR-10 và trọng số ImageNet. Chúng được tải ở lần dùng đầu
(cần mạng một lần); `./kit data status` cho biết dữ liệu ở đâu, `./kit data fetch mnist`
tải thủ công và `--from THƯ_MỤC` chép từ bản sao lớp học phát cho bạn. Bài kiểm tra thiếu
dữ liệu được bỏ qua với một dòng ghi lệnh tải về.

### Nộp bài

    ./kit submit --name "Tên bạn"

chạy kiểm tra, rồi đóng gói đúng các tệp bài tập của bạn vào `Tên_bạn.zip` (trong thư mục
bạn chạy lệnh, hoặc `--out THƯ_MỤC`) và cho biết tệp nào đã gói, tệp nào thiếu, tệp nào
không gói. Hãy tải tệp zip đó lên nơi lớp học thu bài. Bộ chấm chạy cùng các bài kiểm tra
này và thêm vài bài ẩn, nên đạt `check` là dấu hiệu tốt, chưa phải lời hứa.
"""
