"""Coverage-guided fuzzing of tls12 (atheris); see fuzz/README.md.

The harness functions (``test_one_input``) import without atheris, so that
``tests/test_fuzz_regressions.py`` can replay the corpus and the saved crashes in plain pytest.
"""
