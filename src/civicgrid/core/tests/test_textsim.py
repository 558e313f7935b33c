from civicgrid.core.textsim import similarity_matrix, text_similarity


def test_same_problem_in_other_words_is_closer_than_another_problem():
    drain = "小区门口下水道堵了，污水横流"
    assert text_similarity(drain, "3号楼门口下水道堵塞，污水溢出") > 0.3
    assert text_similarity(drain, "路灯不亮，晚上很黑") == 0.0


def test_digits_and_punctuation_do_not_count():
    assert text_similarity("3号楼路灯坏了！！！", "5号楼路灯坏了") > 0.99


def test_matrix_rows_and_columns():
    matrix = similarity_matrix(["路灯不亮", "垃圾满了"], ["路灯坏了", "垃圾桶满了", ""])
    assert matrix.shape == (2, 3)
    assert matrix[0, 0] > matrix[0, 1] and matrix[1, 1] > matrix[1, 0]
    assert matrix[0, 2] == 0.0
