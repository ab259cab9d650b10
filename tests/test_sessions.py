"""experiments.sessions: the book's two sessions, seeded, written as the
REPL shows them (the README quotes its output)."""

import re

from experiments import sessions


def test_the_sessions_print_as_the_book_does(tmp_path, mnist_dir, capsys):
    argv = ["--epochs", "1", "--seeds", "2", "--data-dir", str(mnist_dir),
            "--out", str(tmp_path), "--docs", str(tmp_path / "page")]
    assert sessions.main(argv) == 0
    capsys.readouterr()
    page = (tmp_path / "page.md").read_text()
    assert re.search(r"^Epoch 0: \d{4} / 10000$", page, re.MULTILINE)
    assert re.search(r"^History\(1 epoch", page, re.MULTILINE)
    assert "Epoch 0 training complete\nAccuracy on evaluation data: " in page
    assert re.search(r"^\(\[\], \[\d{4}\], \[\], \[\]\)$", page, re.MULTILINE)
    assert page.count("Final test accuracy, seeds 0 to 1: ") == 2
    assert "Made by `python -m experiments.sessions" in page


def test_a_seed_repeats_its_transcript(mnist_dir):
    data = sessions.mnist_loader.load_data_wrapper(data_dir=mnist_dir)
    assert sessions.chapter1(data, 3, 1) == sessions.chapter1(data, 3, 1)
