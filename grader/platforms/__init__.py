"""Where courses already grade: Gradescope's autograder zip, Otter-Grader assignments, the
student kit, and the wheels they carry. Each builder works on any problem folder."""
